"""``threadline run``: the scheduler plus each configured chat front-end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.app import Threadline, build
from bot.config.settings import Settings
from bot.entry.schedule import BotScheduler

log = logging.getLogger(__name__)


def front_ends(app: Threadline) -> list[Coroutine[Any, Any, None]]:
    """The chat listeners the environment has tokens for (slash commands, gateway)."""
    settings = app.settings
    tasks: list[Coroutine[Any, Any, None]] = []
    from bot.platforms.slack.platform import SlackPlatform

    slack = app.platforms.get("slack")
    if settings.slack_bot_token and isinstance(slack, SlackPlatform):
        from bot.platforms.slack.app import build_slack_app, run_http, run_socket_mode

        secret = (
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else ""
        )
        slack_app = build_slack_app(
            token=settings.slack_bot_token.get_secret_value(),
            signing_secret=secret,
            handler=app.commands,
            admins=settings.admins,
            client=slack.client,  # one Slack client for delivery and commands
            status=app.status,
        )
        if settings.slack_app_token:
            tasks.append(run_socket_mode(slack_app, settings.slack_app_token.get_secret_value()))
        else:
            tasks.append(run_http(slack_app, settings.http_port))
    if settings.discord_token:
        from bot.platforms.discord.commands import run_gateway

        tasks.append(
            run_gateway(
                settings.discord_token.get_secret_value(),
                handler=app.commands,
                api_base=settings.discord_api_url,
            )
        )
    return tasks


async def serve(settings: Settings) -> int:
    app = await build(settings)
    try:
        await app.start()
    except BaseException:
        await app.close()
        raise
    scheduler = BotScheduler(app)
    try:
        listeners = [asyncio.create_task(c) for c in front_ends(app)]
        await scheduler.run()
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
    finally:
        await app.close()
    return 0
