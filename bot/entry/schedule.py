"""The long-running bot: one poll loop over the database's due times, and the delivery loop.

The poll loop's contract:

- The database is the only schedule. A feed is due when its ``next_poll_at`` has
  come and no other process holds a live lease on it. Each turn claims what is
  due (``run_due``, at most ``CLAIM_AT_MOST`` feeds), then asks the store when
  the next feed becomes claimable and sleeps until then.
- In ``threadline run`` the turn's poller is the ``FetchPipeline``: it claims only
  as many feeds as it has free fetch slots, starts them and returns; a fetch that
  ends wakes the loop for the next due feed, so a slow feed holds one slot, not
  a turn.
- ``wake()`` ends the sleep at once (a feed added from chat in this process;
  shutdown). A wake-up during a turn makes another turn follow straight away.
- The sleep never lasts longer than ``RECHECK``: changes made by other processes
  (``threadline feeds add``, another instance's ``feeds.yaml``) are seen within it.
- A turn that fails is logged and retried after ``RETRY``; the loop goes on.
- A turn that claimed nothing never sleeps less than ``IDLE_MIN`` (a row another
  process is claiming at that instant must not make it spin).

Several processes on one PostgreSQL run this loop each; ``SELECT … FOR UPDATE
SKIP LOCKED`` plus the lease make them claim disjoint feeds, and claiming a
bounded number per turn lets the processes that wake together share the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.app import Threadline
from bot.ports import Clock
from bot.service.poll_cycle import CycleReport
from bot.service.poll_pipeline import FetchPipeline

log = logging.getLogger(__name__)

CLAIM_AT_MOST = 50
RECHECK = timedelta(seconds=60)
RETRY = timedelta(seconds=30)
IDLE_MIN = timedelta(seconds=1)
DELIVERY_EVERY = 5


class DuePoller(Protocol):
    async def run_due(self, *, limit: int) -> CycleReport:
        """Claim at most ``limit`` due feeds, poll them and record the outcome."""


class PollSchedule(Protocol):
    async def next_poll_due(self) -> datetime | None:
        """When the next enabled feed becomes claimable (None: no enabled feed)."""


class Alarm(Protocol):
    def ring_at(self, when: datetime, ring: Callable[[], None]) -> None:
        """Call ``ring`` at ``when`` (at once if it has passed), replacing any
        alarm set before: only the latest one rings."""


class SchedulerAlarm:
    """The ``Alarm`` as one APScheduler date job, moved to each wake-up time.

    APScheduler is the timer, not the schedule: it holds one job, never one per
    feed, so nothing in it can disagree with the database."""

    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=False)

    def ring_at(self, when: datetime, ring: Callable[[], None]) -> None:
        async def ring_in_loop() -> None:  # a coroutine job runs in the event loop, not a thread
            ring()

        self._scheduler.add_job(
            ring_in_loop,
            DateTrigger(run_date=when),
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,  # late (a busy loop) still rings
        )


class PollLoop:
    def __init__(
        self,
        *,
        poller: DuePoller,
        schedule: PollSchedule,
        clock: Clock,
        alarm: Alarm,
        after_turn: Callable[[CycleReport], Awaitable[None]],
    ) -> None:
        self.poller = poller
        self.schedule = schedule
        self.clock = clock
        self.alarm = alarm
        self.after_turn = after_turn
        self._wake = asyncio.Event()
        self._stopped = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopped:
            self._wake.clear()
            self.alarm.ring_at(await self._turn(), self.wake)
            await self._wake.wait()

    async def _turn(self) -> datetime:
        """Poll what is due; return when to wake for the next turn."""
        try:
            report = await self.poller.run_due(limit=CLAIM_AT_MOST)
            await self.after_turn(report)
            due = await self.schedule.next_poll_due()
        except Exception:
            log.exception("poll cycle failed; trying again in %s", RETRY)
            return self.clock.now() + RETRY
        now = self.clock.now()
        soonest = now if report.feeds else now + IDLE_MIN
        if due is None:  # no enabled feed: only a wake-up or a recheck brings one
            return now + RECHECK
        return min(now + RECHECK, max(soonest, due))


class BotScheduler:
    """``threadline run``: the poll loop and the delivery loop until SIGINT/SIGTERM."""

    def __init__(self, app: Threadline, alarm: SchedulerAlarm | None = None) -> None:
        self.app = app
        self.alarm = alarm or SchedulerAlarm()
        self.pipeline = FetchPipeline(
            app.poller,
            concurrency=app.settings.fetch_concurrency,
            batch=app.poller.batch,
            on_recorded=self._after_poll,
        )
        self.polling = PollLoop(
            poller=self.pipeline,
            schedule=app.store,
            clock=app.clock,
            alarm=self.alarm,
            after_turn=self._after_poll,
        )
        self.pipeline.listen(self.polling.wake)
        self._stop = asyncio.Event()
        self._deliver_now = asyncio.Event()
        app.wake_delivery.listen(self.wake_delivery)
        app.wake_polling.listen(self.wake_polling)

    def wake_delivery(self) -> None:
        """Deliver soon (a channel just followed a storyline from chat)."""
        self._deliver_now.set()

    def wake_polling(self) -> None:
        """Poll soon (a feed was just added from chat)."""
        self.polling.wake()

    async def _after_poll(self, report: CycleReport) -> None:
        for url, error in report.errors.items():
            log.warning("could not poll %s: %s", url, error)
        await self.app.notify_disabled(report.disabled)
        if report.posts:
            self._deliver_now.set()

    async def _delivery_loop(self) -> None:
        while not self._stop.is_set():
            # Cleared before the drain, not after: a wake-up or a stop that comes
            # while it sends is kept, and the loop goes round again at once.
            self._deliver_now.clear()
            try:
                report = await self.app.deliver()
                if report.sent or report.failed:
                    log.info("delivered %d, failed %d", report.sent, report.failed)
            except Exception:
                log.exception("delivery failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._deliver_now.wait(), DELIVERY_EVERY)

    def stop(self) -> None:
        self._stop.set()
        self._deliver_now.set()
        self.polling.stop()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        self.alarm.start()
        polling = asyncio.create_task(self.polling.run())
        delivering = asyncio.create_task(self._delivery_loop())
        log.info("Threadline running; Ctrl-C stops")
        try:
            done, _ = await asyncio.wait({polling, delivering}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a loop that ended by itself is a bug: let it surface
        finally:
            self.stop()
            # A poll cut short records nothing (one transaction per batch) and
            # its claims are released or run out: stopping need not wait for it.
            # The delivery in flight is let finish, so a sent message is marked sent.
            polling.cancel()
            await self.pipeline.close()
            await asyncio.gather(polling, delivering, return_exceptions=True)
            self.alarm.shutdown()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            log.info("Threadline stopped")
