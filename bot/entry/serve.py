"""``threadline run``: the scheduler plus each configured chat front-end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.app import Threadline, build
from bot.config.settings import Settings
from bot.entry.schedule import BotScheduler
from bot.platforms.plugin import FrontEndServices
from bot.service.poll_cycle import CycleReport
from bot.service.poll_pipeline import FetchPipeline

log = logging.getLogger(__name__)


def front_ends(app: Threadline) -> list[Coroutine[Any, Any, None]]:
    """The command listeners of the connected platforms (Slack Socket Mode or
    HTTP, the Discord gateway): each platform says what it runs."""
    services = FrontEndServices(
        commands=app.commands, status=app.status, admins=app.settings.admins
    )
    listeners = (connection.front_end(services) for connection in app.connections)
    return [listener for listener in listeners if listener is not None]


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
