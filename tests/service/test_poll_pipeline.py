"""The daemon's poll pipeline: a silent feed holds one fetch slot, not a turn.
The whole app (real fetcher, SQLite, storylines) polls local feeds; two servers
never answer within the test, and every healthy feed is still polled and
recorded meanwhile. Counts, not clocks: the silent fetches are still in flight."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.app import build
from bot.config.settings import load_settings
from bot.entry.schedule import CLAIM_AT_MOST, PollLoop
from bot.platforms.console import ConsolePlatform
from bot.service.poll_cycle import CycleReport
from bot.service.poll_pipeline import FetchPipeline
from tests.conftest import REPO
from tests.support.clock import FakeClock
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import serve_feeds
from tests.support.hostile import AtOnce, silent

EMPTY_RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
HEALTHY = 40
SLOTS = 4


class StillAlarm:
    """An alarm whose time never comes: only fetches that end wake the loop."""

    def ring_at(self, when: datetime, ring: Callable[[], None]) -> None:
        pass


async def test_silent_feeds_hold_only_their_own_slots(tmp_path: Path) -> None:
    hanging = AtOnce()
    async with serve_feeds() as srv:
        srv.handle("/silent-1.xml", hanging.counted(silent))
        srv.handle("/silent-2.xml", hanging.counted(silent))
        for i in range(HEALTHY):
            srv.set(f"/f{i}.xml", EMPTY_RSS)
        feeds = write_feeds(
            tmp_path / "feeds.yaml",
            [(srv.url("/silent-1.xml"), "Silent 1"), (srv.url("/silent-2.xml"), "Silent 2")]
            + [(srv.url(f"/f{i}.xml"), f"Feed {i}") for i in range(HEALTHY)],
        )
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
            feeds_file=feeds,
            storylines_dir=REPO / "storylines",
            allow_private_feeds=True,
            fetch_concurrency=SLOTS,
            fetch_timeout=300,  # the silent servers outlast the test
        )
        clock = FakeClock()
        app = await build(
            settings, clock=clock, platforms={"console": ConsolePlatform(io.StringIO())}
        )
        await app.start()
        reports: list[CycleReport] = []
        all_healthy = asyncio.Event()

        async def recorded(report: CycleReport) -> None:
            reports.append(report)
            if sum(r.feeds for r in reports) == HEALTHY:
                all_healthy.set()

        pipeline = FetchPipeline(app.poller, concurrency=SLOTS, on_recorded=recorded)

        async def nothing(report: CycleReport) -> None:
            pass

        loop = PollLoop(
            poller=pipeline, schedule=app.store, clock=clock, alarm=StillAlarm(), after_turn=nothing
        )
        pipeline.listen(loop.wake)
        task = asyncio.create_task(loop.run())
        try:
            await asyncio.wait_for(all_healthy.wait(), 60)
            polled = {f.name: f.last_polled_at for f in await app.store.feeds()}
            assert [n for n, at in polled.items() if at is None] == ["Silent 1", "Silent 2"]
            assert hanging.serving == 2 and pipeline.in_flight == 2  # still waited on
            assert all(r.fetched + r.not_modified + r.unchanged == r.feeds for r in reports)
            # Results are decided in chunks, never more than a turn's worth per fetch.
            assert len(reports) <= HEALTHY and max(r.feeds for r in reports) <= CLAIM_AT_MOST
        finally:
            loop.stop()
            await pipeline.close()
            await asyncio.wait_for(task, 10)
            await app.close()
