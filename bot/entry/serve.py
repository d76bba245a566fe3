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

log = logging.getLogger(__name__)


def front_ends(app: Threadline) -> list[Coroutine[Any, Any, None]]:
    """The command listeners of the connected platforms (Slack Socket Mode or
    HTTP, the Discord gateway): each platform says what it runs."""
    services = FrontEndServices(
        commands=app.commands, status=app.status, admins=app.settings.admins
    )
    listeners = (connection.front_end(services) for connection in app.connections)
    return [listener for listener in listeners if listener is not None]


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
