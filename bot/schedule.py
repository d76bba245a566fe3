"""The long-running bot: APScheduler jobs for each feed, the outbox and feed-list sync.

Each process keeps its own AsyncIOScheduler (job stores are not shared); the
database claims (lease, SKIP LOCKED on PostgreSQL) make several processes share
the work without doing it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import Threadline
from bot.core.models import Feed

log = logging.getLogger(__name__)

DELIVERY_EVERY = 5
SYNC_EVERY = 60


class BotScheduler:
    def __init__(self, app: Threadline) -> None:
        self.app = app
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._feed_jobs: dict[int, int] = {}
        self._stop = asyncio.Event()
        self._deliver_now = asyncio.Event()

    def wake_delivery(self) -> None:
        """Deliver soon (a channel just followed a storyline from chat)."""
        self._deliver_now.set()

    async def _poll_feed(self, feed_id: int) -> None:
        # A feed is due when its next poll time has come, give or take the jitter,
        # so a job that fires a little early still polls. The grace stays a small
        # part of the interval: with several instances each has a job per feed,
        # and a grace near the interval would let them poll one feed back to back.
        interval = self._feed_jobs.get(feed_id, 600)
        grace = timedelta(seconds=min(90, interval // 5))
        report = await self.app.poller.run_due(feed_ids=[feed_id], grace=grace)
        for url, error in report.errors.items():
            log.warning("could not poll %s: %s", url, error)
        await self.app.notify_disabled(report.disabled)
        if report.posts:
            self._deliver_now.set()

    async def _deliver(self) -> None:
        report = await self.app.deliverer.drain()
        if report.sent or report.failed:
            log.info("delivered %d, failed %d", report.sent, report.failed)

    async def _sync_jobs(self) -> None:
        feeds = await self.app.store.feeds(enabled_only=True)
        wanted = {f.id: f for f in feeds}
        for feed_id in list(self._feed_jobs):
            if (
                feed_id not in wanted
                or wanted[feed_id].interval_seconds != self._feed_jobs[feed_id]
            ):
                self.scheduler.remove_job(f"feed-{feed_id}")
                del self._feed_jobs[feed_id]
        for feed in feeds:
            if feed.id not in self._feed_jobs:
                self._add_feed_job(feed)

    def _add_feed_job(self, feed: Feed) -> None:
        interval = feed.interval_seconds
        self.scheduler.add_job(
            self._poll_feed,
            IntervalTrigger(seconds=interval, jitter=min(60, interval // 10)),
            args=[feed.id],
            id=f"feed-{feed.id}",
            next_run_time=self.app.clock.now(),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=interval,
        )
        self._feed_jobs[feed.id] = interval

    async def _delivery_loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self._deliver()
            except Exception:
                log.exception("delivery failed; retrying")
            self._deliver_now.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._deliver_now.wait(), DELIVERY_EVERY)

    def stop(self) -> None:
        self._stop.set()
        self._deliver_now.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        await self._sync_jobs()
        self.scheduler.add_job(
            self._sync_jobs,
            IntervalTrigger(seconds=SYNC_EVERY),
            id="sync-feeds",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()
        log.info("Threadline running: %d feeds scheduled; Ctrl-C stops", len(self._feed_jobs))
        try:
            await self._delivery_loop()
        finally:
            self.scheduler.shutdown(wait=False)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            log.info("Threadline stopped")
