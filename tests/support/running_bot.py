"""``threadline run`` in the test's own event loop: the app, its scheduler and the
chat front ends the settings have tokens for, assembled as ``bot.entry.serve.serve``
does (``build``, ``start``, ``BotScheduler``, ``front_ends``), so tests can drive
the live protocols (Socket Mode, the Discord gateway) from local doubles and
stop the bot when they are done, without signals.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.app import Threadline, build
from bot.config.settings import load_settings
from bot.entry.schedule import BotScheduler
from bot.entry.serve import front_ends

REPO = Path(__file__).resolve().parents[2]
STOP_WITHIN = 30.0


@dataclass(frozen=True, slots=True)
class RunningBot:
    app: Threadline
    scheduler: BotScheduler


@asynccontextmanager
async def running_bot(tmp_path: Path) -> AsyncIterator[RunningBot]:
    """The bot on ``tmp_path/db.sqlite`` with no feeds and the repository's
    storylines; chat tokens and API URLs come from the environment (set them
    with ``monkeypatch.setenv``). Stopped, and every front end cancelled, on exit;
    a front end that ended by itself, or a bot that does not stop within
    ``STOP_WITHIN`` seconds of being asked, fails the test."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        feeds_file=feeds,
        storylines_dir=REPO / "storylines",
        allow_private_feeds=True,
    )
    app = await build(settings)
    try:
        await app.start()
        scheduler = BotScheduler(app)
        listeners = [asyncio.create_task(c) for c in front_ends(app)]
        running = asyncio.create_task(scheduler.run())
        try:
            yield RunningBot(app, scheduler)
        finally:
            ended = [t for t in listeners if t.done()]
            scheduler.stop()
            try:
                # Bounded: a stop the loops lose would otherwise hang the test.
                await asyncio.wait_for(running, STOP_WITHIN)
            except TimeoutError:
                raise AssertionError(f"the bot did not stop within {STOP_WITHIN} s") from None
            finally:
                for task in listeners:
                    task.cancel()
                await asyncio.gather(*listeners, return_exceptions=True)
            for task in ended:
                task.result()  # a front end that stopped early: show why
            assert not ended, "a chat front end stopped by itself"
    finally:
        await app.close()
