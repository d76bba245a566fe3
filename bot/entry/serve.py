"""``threadline run``: the scheduler plus each configured chat front-end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.app import Threadline, build
from bot.config.settings import Settings
from bot.entry.schedule import BotScheduler
from bot.service.poll_cycle import CycleReport
from bot.service.poll_pipeline import FetchPipeline

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


def scheduler_for(app: Threadline) -> BotScheduler[CycleReport]:
    """The running bot's loops, handed what they run: the app's poller in a fetch
    pipeline, the store's due times, the clock and the delivery; the commands'
    wake-up calls (a channel followed, a feed added) reach them."""

    async def after_poll(report: CycleReport) -> None:
        for url, error in report.errors.items():
            log.warning("could not poll %s: %s", url, error)
        await app.notify_disabled(report.disabled)
        if report.posts:
            scheduler.wake_delivery()

    pipeline = FetchPipeline(
        app.poller,
        concurrency=app.settings.fetch_concurrency,
        batch=app.poller.batch,
        on_recorded=after_poll,
    )
    scheduler = BotScheduler(
        poller=pipeline,
        schedule=app.store,
        clock=app.clock,
        deliver=app.deliver,
        after_turn=after_poll,
    )
    app.wake_delivery.listen(scheduler.wake_delivery)
    app.wake_polling.listen(scheduler.wake_polling)
    return scheduler


async def serve(settings: Settings) -> int:
    app = await build(settings)
    try:
        await app.start()
    except BaseException:
        await app.close()
        raise
    scheduler = scheduler_for(app)
    try:
        listeners = [asyncio.create_task(c) for c in front_ends(app)]
        await scheduler.run()
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
    finally:
        await app.close()
    return 0
