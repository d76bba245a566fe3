"""Discord as the registry knows it: its environment, its channel ids, how it
connects and how ``threadline run`` serves its ``/threadline`` commands.

Cheap to import: discord.py loads when Discord is configured.
"""

from __future__ import annotations

import re
from collections.abc import Coroutine
from typing import Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.channel_ids import ChannelIds
from bot.platforms.plugin import FrontEndServices, Platform
from bot.ports import ChatPlatform


class DiscordSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="THREADLINE_", env_file=".env", extra="ignore", frozen=True
    )

    discord_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("DISCORD_TOKEN", "THREADLINE_DISCORD_TOKEN")
    )
    # Another REST API and gateway (a proxy, local doubles in tests).
    discord_api_url: str | None = None


async def _connect(settings: DiscordSettings) -> ChatPlatform:
    from bot.platforms.discord.platform import DiscordPlatform

    assert settings.discord_token is not None  # only connected when configured
    return await DiscordPlatform.login(
        settings.discord_token.get_secret_value(), api_base=settings.discord_api_url
    )


def _front_end(
    settings: DiscordSettings, platform: ChatPlatform, services: FrontEndServices
) -> Coroutine[Any, Any, None] | None:
    from bot.platforms.discord.commands import run_gateway

    if settings.discord_token is None:
        return None
    return run_gateway(
        settings.discord_token.get_secret_value(),
        handler=services.commands,
        api_base=settings.discord_api_url,
    )


DISCORD = Platform(
    name="discord",
    channel_ids=ChannelIds(
        re.compile(r"[0-9]{1,20}"),
        "expected the numeric channel ID (Developer Mode → Copy Channel ID)",
    ),
    settings=DiscordSettings,
    configured=lambda settings: bool(settings.discord_token),
    connect=_connect,
    front_end=_front_end,
    # Admin commands are a group of their own: Discord hides it from non-admins.
    feeds_list_command="/threadline-admin feeds list",
    admin_help="on Discord: /threadline-admin feeds …",
    quiet_loggers=("discord",),
)
