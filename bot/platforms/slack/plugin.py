"""Slack as the registry knows it: its environment, its channel ids, how it
connects and how ``threadline run`` serves its ``/threadline`` command.

Cheap to import: slack_sdk and slack_bolt load when Slack is configured.
"""

from __future__ import annotations

import re
from collections.abc import Coroutine
from typing import Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.channel_ids import ChannelIds, Refusal
from bot.platforms.plugin import FrontEndServices, Platform
from bot.ports import ChatPlatform


class SlackSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="THREADLINE_", env_file=".env", extra="ignore", frozen=True
    )

    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "THREADLINE_SLACK_BOT_TOKEN")
    )
    # Set: Socket Mode. Unset: HTTP mode on http_port, verified with the signing secret.
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "THREADLINE_SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "THREADLINE_SLACK_SIGNING_SECRET"),
    )
    # Another Web API (a proxy, a local double in tests).
    slack_api_url: str | None = None
    http_port: int = Field(3000, ge=1, le=65535)


async def _connect(settings: SlackSettings) -> ChatPlatform:
    from bot.platforms.slack.platform import SlackPlatform, make_client

    assert settings.slack_bot_token is not None  # only connected when configured
    return SlackPlatform(
        make_client(
            settings.slack_bot_token.get_secret_value(),
            settings.slack_api_url or "https://slack.com/api/",
        )
    )


def _front_end(
    settings: SlackSettings, platform: ChatPlatform, services: FrontEndServices
) -> Coroutine[Any, Any, None] | None:
    from bot.platforms.slack.app import build_slack_app, run_http, run_socket_mode
    from bot.platforms.slack.platform import SlackPlatform

    if settings.slack_bot_token is None or not isinstance(platform, SlackPlatform):
        return None
    secret = settings.slack_signing_secret
    app = build_slack_app(
        token=settings.slack_bot_token.get_secret_value(),
        signing_secret=secret.get_secret_value() if secret else "",
        handler=services.commands,
        admins=services.admins,
        client=platform.client,  # one Slack client for delivery and commands
        status=services.status,
    )
    if settings.slack_app_token:
        return run_socket_mode(app, settings.slack_app_token.get_secret_value())
    return run_http(app, settings.http_port)


SLACK = Platform(
    name="slack",
    channel_ids=ChannelIds(
        re.compile(r"[CG][A-Z0-9]{0,31}"),
        "expected the channel ID, like C0123ABCD (channel details → copy channel ID)",
        # No im:history scope (manifest.yaml): after a crash the bot could not
        # read a DM's history to see what it already sent there.
        refused=(
            Refusal(
                re.compile(r"D[A-Z0-9]{0,31}"),
                "slack channel {channel!r} is a direct message: Threadline follows "
                "storylines in channels only (invite the bot to a channel and use its ID)",
            ),
        ),
    ),
    settings=SlackSettings,
    configured=lambda settings: bool(settings.slack_bot_token),
    connect=_connect,
    front_end=_front_end,
    feeds_list_command="/threadline feeds list",
    quiet_loggers=("slack_sdk", "slack_bolt"),
)
