"""The daemon's poller: a fixed number of fetches in flight, decisions in batches.

A poll loop turn (``bot.entry.schedule.PollLoop``) asks ``run_due``; the pipeline claims
only as many due feeds as it has free fetch slots and starts their fetches, then
returns at once. Each fetch that ends frees its slot and wakes the loop, which
claims the next due feed: a slow feed (a silent or dripping server, waited on up
to the fetch deadline) costs only its own slot, never a whole turn.

Fetched feeds queue for one recorder, which decides and records them in one
transaction per chunk (whatever has arrived, at most ``batch``): while it
records, the next results gather, so under load chunks grow and transactions
stay few; when idle a single result is recorded at once. A fetch or a record
that fails with an unexpected error is logged and its claims given back; the
pipeline goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.core.items import Feed
from bot.service.poll_cycle import CycleReport, Fetched

log = logging.getLogger(__name__)


class PipelinePoller(Protocol):
    """What the pipeline needs of the ``Poller``."""

    async def claim_due(self, *, limit: int) -> list[Feed]: ...

    async def fetch(self, feed: Feed) -> Fetched: ...

    async def record(self, results: Sequence[tuple[Feed, Fetched]]) -> CycleReport: ...

    async def release(self, feeds: Sequence[Feed]) -> None: ...


class FetchPipeline:
    """Keeps up to ``concurrency`` fetches in flight (see the module docstring).
    ``on_recorded`` gets each recorded chunk's report; ``on_slot_free`` (set by
    ``listen``) is called whenever a fetch ends."""

    def __init__(
        self,
        poller: PipelinePoller,
        *,
        concurrency: int,
        batch: int = 250,
        on_recorded: Callable[[CycleReport], Awaitable[None]],
    ) -> None:
        self.poller = poller
        self.concurrency = concurrency
        self.batch = batch
        self.on_recorded = on_recorded
        self._on_slot_free: Callable[[], None] = lambda: None
        self._fetching: set[asyncio.Task[None]] = set()
        self._results: asyncio.Queue[tuple[Feed, Fetched]] = asyncio.Queue()
        self._recorder: asyncio.Task[None] | None = None

    def listen(self, on_slot_free: Callable[[], None]) -> None:
        self._on_slot_free = on_slot_free

    @property
    def in_flight(self) -> int:
        """Fetches under way now."""
        return len(self._fetching)

    async def run_due(self, *, limit: int) -> CycleReport:
        """Claim due feeds for the free slots (at most ``limit``) and start
        fetching them. Returns at once; ``feeds`` is how many were claimed (the
        loop comes straight back while that is more than none)."""
        free = min(limit, self.concurrency - self.in_flight)
        if free <= 0:
            return CycleReport()
        feeds = await self.poller.claim_due(limit=free)
        if feeds and self._recorder is None:
            self._recorder = asyncio.create_task(self._record_loop())
        for feed in feeds:
            task = asyncio.create_task(self._fetch(feed))
            self._fetching.add(task)
        return CycleReport(feeds=len(feeds))

    async def close(self) -> None:
        """Stop fetching and recording. What was not recorded stays unrecorded
        (its claims are given back when the app closes), as in a crash."""
        tasks = [*self._fetching, *([self._recorder] if self._recorder else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._fetching.clear()
        self._recorder = None

    async def _fetch(self, feed: Feed) -> None:
        task = asyncio.current_task()
        try:
            outcome = await self.poller.fetch(feed)
        except Exception:
            log.exception("fetching feed %s failed unexpectedly", feed.url)
            with contextlib.suppress(Exception):
                await self.poller.release([feed])
        else:
            self._results.put_nowait((feed, outcome))
        finally:
            if task is not None:
                self._fetching.discard(task)
            self._on_slot_free()

    async def _record_loop(self) -> None:
        while True:
            chunk = [await self._results.get()]
            while len(chunk) < self.batch and not self._results.empty():
                chunk.append(self._results.get_nowait())
            try:
                report = await self.poller.record(chunk)
            except Exception:
                log.exception("recording %d polled feeds failed; they are polled again", len(chunk))
                with contextlib.suppress(Exception):
                    await self.poller.release([feed for feed, _ in chunk])
            else:
                try:
                    await self.on_recorded(report)
                except Exception:
                    log.exception("handling a poll report failed")
