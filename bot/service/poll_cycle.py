"""One poll cycle: fetch → parse → normalise → dedupe → decide → one transaction.

Expected per-feed errors (``FeedError``) are recorded on that feed, audited and
the cycle goes on; anything else is a bug and propagates.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.core import dedupe
from bot.core.audit_events import AuditEvent, FeedDisabled, FeedFailed, PatternTimedOut
from bot.core.decide import DEFAULT_MAX_REPLIES_PER_THREAD, Decision, Known, ReplyCap, decide
from bot.core.document import DocumentItems, Origin
from bot.core.items import Entry, Feed
from bot.core.match import Matcher
from bot.core.storyline import Storyline
from bot.core.subscriptions import Subscription
from bot.errors import MAX_RETRY_AFTER, ErrorCode, FeedError, RetryLater
from bot.ports import (
    AuditSink,
    Clock,
    FeedParser,
    FeedUpdate,
    Fetcher,
    FetchRequest,
    FetchResult,
    ParseRunner,
)
from bot.service.ledger import FactLedger

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(days=1)
MAX_FAILURES = 11
REDIRECTS_TO_ADOPT = 3
#: The largest document the bot's own thread reads (see ``Poller._read``): a
#: bigger one is the workers' alone, whose process takes its memory and any
#: crash, and whose parse would hold the GIL from the event loop for longer.
MAX_READ_HERE = 256 * 1024


#: What fetching one feed gave: its fetch result and its document's items
#: (none unless the result is ``ok``), or its error.
Fetched = tuple[FetchResult, DocumentItems | None] | FeedError


@dataclass(slots=True)
class CycleReport:
    feeds: int = 0
    fetched: int = 0
    not_modified: int = 0
    unchanged: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    disabled: list[str] = field(default_factory=list)
    new_items: int = 0
    posts: int = 0
    fact_changes: int = 0

    def add(self, other: CycleReport) -> None:
        for name in (
            "feeds",
            "fetched",
            "not_modified",
            "unchanged",
            "new_items",
            "posts",
            "fact_changes",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.update(other.errors)
        self.disabled.extend(other.disabled)


@dataclass(slots=True)
class ThreadCaps:
    """What the per-thread reply cap counted so far in a cycle decided in batches,
    per (storyline, reply kind): replies posted, and replies folded into the
    summary that the cycle's last batch posts."""

    replies: Counter[tuple[str, str]] = field(default_factory=Counter)
    capped: Counter[tuple[str, str]] = field(default_factory=Counter)


@contextlib.contextmanager
def _collecting_young_only() -> Iterator[None]:
    """While a batch is decided and recorded, the garbage collector's full
    passes skip every object that was alive before it (``gc.freeze``): a batch
    allocates hundreds of thousands of objects (entries, readings, rows), whose
    full collections otherwise walk the bot's whole long-lived heap too, over
    and over. Unfrozen after, so what died meanwhile is still collected."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class PollStore(Protocol):
    """What a poll cycle needs of the Store."""

    async def claim_feeds(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        due_only: bool = True,
        limit: int = 1000,
        polled_before: datetime | None = None,
    ) -> list[Feed]: ...

    async def release_feeds(self, owner: str, feed_ids: Sequence[int]) -> None: ...

    def decision_lock(self) -> AbstractAsyncContextManager[None]: ...

    async def known_item_keys(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]: ...

    async def feeds_with_items(self, feed_ids: Collection[int]) -> set[int]: ...

    async def subscriptions(
        self, *, storyline: str | None = None, enabled_only: bool = True
    ) -> list[Subscription]: ...

    async def recent_entries(self, since: datetime, limit: int = 2000) -> list[Entry]: ...

    async def entries_at_urls(self, urls: Collection[str]) -> list[Entry]: ...

    async def record_cycle(
        self, decision: Decision, updates: Sequence[FeedUpdate], now: datetime
    ) -> dict[str, int]: ...

    async def record_feed_updates(self, updates: Sequence[FeedUpdate]) -> None: ...


class Poller:
    def __init__(
        self,
        *,
        store: PollStore,
        ledger: FactLedger,
        fetcher: Fetcher,
        parser: FeedParser,
        parsing: ParseRunner,
        storylines: Sequence[Storyline],
        clock: Clock,
        audit: AuditSink,
        owner: str,
        lease: timedelta = timedelta(minutes=5),
        concurrency: int = 16,
        batch: int = 250,
        max_replies_per_thread: int = DEFAULT_MAX_REPLIES_PER_THREAD,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.parser = parser
        self.storylines = list(storylines)
        self.open_storylines = [s for s in storylines if s.status == "open"]
        self.matcher = Matcher(self.storylines)
        self.clock = clock
        self.audit = audit
        self.owner = owner
        self.ledger = ledger
        self.lease = lease
        self._limit = asyncio.Semaphore(concurrency)
        self.parsing = parsing
        self.batch = batch
        # With a pool, one document more than its slots may be read: on the
        # deciding thread, in this process, while nothing is being decided.
        self._parse_slot = asyncio.Semaphore(parsing.slots + (1 if parsing.beside else 0))
        self._recording = 0
        self._reading_here = False
        # Per feed, the keys of its last recorded document: every one is stored
        # (items are never deleted while their feed is polled), so a poll asks
        # the database only about the others; a changed feed has a few new items
        # among fifty, and asking about all of them was the changed cycle's
        # largest cost. Per process and exact (keys, not hashes).
        self._recorded_keys: dict[int, frozenset[str]] = {}
        self.max_replies_per_thread = max_replies_per_thread
        # Deciding is pure CPU work (a flood takes seconds): in a thread, so the
        # event loop keeps serving chat commands and other feeds meanwhile. One
        # thread of its own, not the event loop's shared pool: decisions take
        # turns anyway (the decision lock), so one thread ever touches the
        # matcher's memo, and one malloc arena holds what deciding allocates
        # (the shared pool's threads took turns, each growing an arena of its
        # own: 2.5 MB more at a first poll's peak). Idle, it reads documents
        # (see ``_read``).
        self._deciding = ThreadPoolExecutor(1, thread_name_prefix="threadline-decide")

    async def run_due(self, *, all_feeds: bool = False, limit: int = 1000) -> CycleReport:
        """Claim the due feeds (or all enabled ones), at most ``limit``, and poll
        them, ``batch`` feeds per transaction.

        Batches bound memory (a batch's entries are held until its commit). Items
        are decided in publication order within a batch; across batches the facts
        still resolve by publication time, so a batch's order never flips a fact."""
        now = self.clock.now()
        feeds = await self.store.claim_feeds(
            self.owner, now, self.lease, due_only=not all_feeds, limit=limit
        )
        caps = ThreadCaps()  # the per-thread cap counts over the cycle's batches
        try:
            return await self._poll_batches(feeds, caps, last=True)
        finally:
            # Normally the cycle's transaction released them; this covers a failure.
            await self.store.release_feeds(self.owner, [f.id for f in feeds])

    async def run_all(self, *, turn: int = 1000) -> CycleReport:
        """Poll every enabled feed once (``run --once``), whatever their number:
        ``turn`` feeds are claimed at a time, each turn polled in batches like
        ``run_due``, until no feed is left that was not polled since the start.
        A feed another process holds is left to it. The per-thread reply cap
        counts over the whole run; its summaries are posted at the end."""
        started = self.clock.now()
        report = CycleReport()
        caps = ThreadCaps()
        seen: set[int] = set()
        while True:
            feeds = await self.store.claim_feeds(
                self.owner,
                self.clock.now(),
                self.lease,
                due_only=False,
                limit=turn,
                polled_before=started,
            )
            fresh = [f for f in feeds if f.id not in seen]
            try:
                # A feed whose poll recorded nothing (a bug that propagated) must
                # not be claimed round and round: each feed is polled once per run.
                seen.update(f.id for f in fresh)
                report.add(await self._poll_batches(fresh, caps, last=False))
            finally:
                await self.store.release_feeds(self.owner, [f.id for f in feeds])
            if not fresh:
                break
        if caps.capped:
            report.add(await self.poll([], caps, last=True))
        return report

    async def poll(
        self, feeds: Sequence[Feed], caps: ThreadCaps | None = None, *, last: bool = True
    ) -> CycleReport:
        """Poll ``feeds`` and record what they bring in one transaction.
        ``caps`` holds what the per-thread cap counted in the cycle's earlier
        batches and is updated; the ``last`` batch posts the summary replies."""
        outcomes = await asyncio.gather(*(self.fetch(f) for f in feeds))
        return await self.record(list(zip(feeds, outcomes, strict=True)), caps, last=last)

    async def _poll_batches(
        self, feeds: Sequence[Feed], caps: ThreadCaps, *, last: bool
    ) -> CycleReport:
        """Poll ``feeds`` ``batch`` at a time, one transaction each. When the
        parse runner reads on other CPUs, the next batch is fetched and read
        while this one is decided and recorded; in a thread its reading would
        only take turns with deciding for the GIL, and the batch held meanwhile
        costs memory, so batches then follow one another. ``last``: the final
        batch is the cycle's last (it posts the summary replies). Batch
        boundaries are not free: the eval corpus decides its facts differently
        with batches of 80 feeds, so the size is kept."""
        report = CycleReport()
        batches = [feeds[i : i + self.batch] for i in range(0, len(feeds), self.batch)]
        if not batches:
            return report
        fetching = asyncio.ensure_future(self._fetch_all(batches[0]))
        try:
            for i, batch in enumerate(batches):
                outcomes = await fetching
                ahead = i + 1 < len(batches)
                if ahead and self.parsing.beside:
                    fetching = asyncio.ensure_future(self._fetch_all(batches[i + 1]))
                final = last and not ahead
                report.add(
                    await self.record(list(zip(batch, outcomes, strict=True)), caps, last=final)
                )
                if ahead and not self.parsing.beside:
                    fetching = asyncio.ensure_future(self._fetch_all(batches[i + 1]))
        finally:
            if not fetching.done():  # recording failed: the next batch is not wanted
                fetching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fetching
        return report

    async def _fetch_all(self, feeds: Sequence[Feed]) -> list[Fetched]:
        return list(await asyncio.gather(*(self.fetch(f) for f in feeds)))

    def close(self) -> None:
        """Let the deciding thread go (after the decision it is making, if any)."""
        self._deciding.shutdown(wait=False)

    async def claim_due(self, *, limit: int) -> list[Feed]:
        """Claim at most ``limit`` due feeds for this process (the poll pipeline
        claims one free fetch slot's worth at a time)."""
        return await self.store.claim_feeds(self.owner, self.clock.now(), self.lease, limit=limit)

    async def release(self, feeds: Sequence[Feed]) -> None:
        """Give back claims whose poll will not be recorded (a bug stopped it)."""
        await self.store.release_feeds(self.owner, [f.id for f in feeds])

    async def record(
        self,
        results: Sequence[tuple[Feed, Fetched]],
        caps: ThreadCaps | None = None,
        *,
        last: bool = True,
    ) -> CycleReport:
        """Decide what fetched feeds bring and record it in one transaction (the
        feeds' claims end with it). ``caps`` and ``last`` as in ``poll``."""
        self._recording += 1
        try:
            with _collecting_young_only():
                return await self._record(results, ThreadCaps() if caps is None else caps, last)
        finally:
            self._recording -= 1

    async def _record(
        self, results: Sequence[tuple[Feed, Fetched]], caps: ThreadCaps, last: bool
    ) -> CycleReport:
        report = CycleReport(feeds=len(results))
        now = self.clock.now()
        updates: list[FeedUpdate] = []
        parsed: list[Entry] = []
        backlog: set[int] = set()
        audit: list[AuditEvent] = []
        for feed, outcome in results:
            if isinstance(outcome, FeedError):
                update = self._failure(feed, outcome, now)
                report.errors[feed.url] = f"{outcome.code}: {outcome.message}"
                log.debug("feed %s (%s): %s", feed.name, feed.url, outcome.message)
                self._problem(feed, update, outcome.code, outcome.message, report, audit)
                updates.append(update)
                continue
            result, document = outcome
            report.fetched += result.status == "ok"
            report.not_modified += result.status == "not_modified"
            report.unchanged += result.status == "unchanged"
            if result.status == "gone":
                update = self._gone(feed, now)
                self._problem(feed, update, "gone", update.last_error or "", report, audit)
                updates.append(update)
                continue
            if document is not None:
                parsed.extend(document.new)
            if not feed.backlog_done:
                backlog.add(feed.id)
            updates.append(self._success(feed, result, now))

        decision = None
        if parsed or (last and caps.capped):
            # Deciding reads the stored items, fact states and recent items that
            # recording changes: two instances doing it at once would both post
            # one item or announce one change. So "not stored yet" is asked
            # under the lock too, never before it.
            async with self.store.decision_lock():
                entries = await self._unseen(parsed) if parsed else []
                if entries or (last and caps.capped):
                    decision = await self._decide(entries, frozenset(backlog), caps, last)
                    counts = await self.store.record_cycle(decision, updates, now)
        if decision is None:
            await self.store.record_feed_updates(updates)
        self._remember(results)
        if decision is not None:
            caps.replies.update(decision.replies)
            caps.capped.update(decision.capped)
            report.new_items = counts["items"]
            report.posts = counts["posts"]
            report.fact_changes = len(decision.changes)
        # Audit after the commit, so the log never tells of what was not stored.
        self.audit.write(audit + (decision.audit if decision else []))
        for event in decision.audit if decision else ():
            if isinstance(event, PatternTimedOut):
                log.warning(
                    "storyline %s: pattern %r ran past %gs on %r and was skipped for it%s",
                    event.storyline,
                    event.pattern,
                    event.timeout,
                    event.item.title[:80],
                    " (and for the rest of this cycle)" if event.skipped_for_cycle else "",
                )
        return report

    async def fetch(self, feed: Feed) -> Fetched:
        """Fetch and parse one feed (no database work): what ``record`` takes.
        An expected failure is returned as the ``FeedError``, not raised."""
        request = FetchRequest(feed.url, feed.etag, feed.last_modified, feed.body_hash)
        try:
            async with self._limit:
                result = await self.fetcher.fetch(request)
            if result.status != "ok":
                return result, None
            # A body waits here for a slot, not queued in the runner. Its items
            # are keyed and the new ones normalised where it is parsed (in a
            # worker, with a pool); the keys of its last recorded document are
            # stored, so those items are not normalised again.
            origin = Origin(feed.id, feed.name, self.clock.now())
            known = self._recorded_keys.get(feed.id, frozenset())
            async with self._parse_slot:
                document = await self._read(result, origin, known)
        except FeedError as exc:
            return exc
        # The body is no longer needed: do not hold every body until the commit.
        return replace(result, body=b""), document

    async def _read(
        self, result: FetchResult, origin: Origin, known: frozenset[str]
    ) -> DocumentItems:
        """Read a fetched document where the parse runner reads, or here. While
        a runner's workers read on other CPUs and nothing is being decided (a
        cycle's first batch; the end of each batch, waiting for the next one to
        be read), the bot's own process idles: its deciding thread then reads
        a document too, the same way (``read_document``), in this process. A
        changed cycle took 13% less time so. Only a small document
        (``MAX_READ_HERE``; feeds are mostly tens of kilobytes)."""
        here = (
            self.parsing.beside
            and not self._recording
            and not self._reading_here
            and len(result.body) <= MAX_READ_HERE
        )
        if not here:
            return await self.parsing.read(self.parser, result.body, result.headers, origin, known)
        self._reading_here = True
        try:
            return await self.parsing.read(
                self.parser, result.body, result.headers, origin, known, here=self._deciding
            )
        finally:
            self._reading_here = False

    async def _unseen(self, entries: list[Entry]) -> list[Entry]:
        """The entries not stored yet, each (feed, key) once: one look-up for
        the whole cycle (not one round trip per feed). Their feeds' last
        recorded documents were left out already, where they were read."""
        unique: dict[tuple[int, str], Entry] = {}
        for entry in entries:
            unique.setdefault((entry.feed_id, entry.key), entry)
        # A feed this process has not recorded yet may have nothing stored at
        # all (new feeds: a first poll's 50,000 items): asked about once, not
        # item by item. (Not "never polled": a feed removed and added back
        # keeps its items.)
        fresh = {feed_id for feed_id, _ in unique if feed_id not in self._recorded_keys}
        empty = fresh - await self.store.feeds_with_items(fresh) if fresh else set()
        asked = [k for k in unique if k[0] not in empty]
        known = await self.store.known_item_keys(asked) if asked else set()
        return [entry for k, entry in unique.items() if k not in known]

    def _remember(self, results: Sequence[tuple[Feed, Fetched]]) -> None:
        """After a commit: each read document's keys, all stored now."""
        for feed, outcome in results:
            if isinstance(outcome, FeedError) or outcome[1] is None:
                continue  # not read: what was remembered still holds
            self._recorded_keys[feed.id] = frozenset(outcome[1].keys)

    async def _decide(
        self, entries: list[Entry], backlog: frozenset[int], caps: ThreadCaps, last: bool
    ) -> Decision:
        facts = await self.ledger.load()
        subscriptions = await self.store.subscriptions()
        recent: list[Entry] = []
        if entries:  # none when the last batch only posts the cycle's summaries
            earliest = min(e.published for e in entries)
            recent = await self._recent(entries, earliest - dedupe.DEFAULT_WINDOW)
        # Deciding is pure CPU work (a flood takes seconds): in a worker thread, so
        # the event loop keeps serving chat commands and other feeds meanwhile.
        # One decision at a time holds the decision lock, so the matcher's memo
        # is never used by two threads at once.
        known = Known(
            storylines=self.open_storylines,
            matcher=self.matcher,
            claims=facts.claims,
            states=facts.states,
            subscriptions=subscriptions,
            recent=recent,
            backlog_feeds=backlog,
        )
        cap = ReplyCap(self.max_replies_per_thread, caps.replies, caps.capped, summarise=last)
        return await asyncio.get_running_loop().run_in_executor(
            self._deciding, functools.partial(decide, entries, known, cap)
        )

    async def _recent(self, entries: list[Entry], since: datetime) -> list[Entry]:
        """Stored matched items a new entry may repeat: those of the dedupe
        window, and older ones at the same canonical URL (re-publications)."""
        recent = await self.store.recent_entries(since)
        known = {(e.feed_id, e.key) for e in recent}
        older = await self.store.entries_at_urls([e.url for e in entries if e.url])
        extra = [e for e in older if (e.feed_id, e.key) not in known]
        return sorted(extra, key=lambda e: e.published) + recent

    # --- feed bookkeeping ------------------------------------------------------------------

    @staticmethod
    def _problem(
        feed: Feed,
        update: FeedUpdate,
        code: str,
        message: str,
        report: CycleReport,
        audit: list[AuditEvent],
    ) -> None:
        """Audit a feed's failure; a feed it disabled is also reported for admins."""
        disabled = not update.enabled
        event = FeedDisabled if disabled else FeedFailed
        audit.append(event(feed.name, feed.url, code, message, update.failures))
        if disabled:
            report.disabled.append(
                f"Feed {feed.name} ({feed.url}) was disabled: {update.last_error}"
            )

    def _success(self, feed: Feed, result: FetchResult, now: datetime) -> FeedUpdate:
        redirect_url, redirect_count, url = None, 0, None
        if result.permanent_redirect:
            redirect_url = result.permanent_redirect
            same = feed.redirect_url == redirect_url
            redirect_count = feed.redirect_count + 1 if same else 1
            if redirect_count >= REDIRECTS_TO_ADOPT:
                url, redirect_url, redirect_count = result.permanent_redirect, None, 0
        return FeedUpdate(
            feed_id=feed.id,
            status="ok",
            polled_at=now,
            next_poll_at=now + timedelta(seconds=feed.interval_seconds),
            success=True,
            etag=result.etag,
            last_modified=result.last_modified,
            body_hash=result.body_hash,
            validators_changed=result.status == "ok",
            backlog_done=True,
            redirect_url=redirect_url,
            redirect_count=redirect_count,
            url=url,
        )

    def _failure(self, feed: Feed, error: FeedError, now: datetime) -> FeedUpdate:
        failures = feed.failures + 1
        wait = min(BACKOFF_BASE * 2 ** (failures - 1), BACKOFF_CAP)
        if isinstance(error, RetryLater) and error.retry_after and error.retry_after > 0:
            wait = max(wait, min(timedelta(seconds=error.retry_after), MAX_RETRY_AFTER))
        wait = max(wait, timedelta(seconds=feed.interval_seconds))
        disabled = failures >= MAX_FAILURES
        return FeedUpdate(
            feed_id=feed.id,
            status="disabled" if disabled else "failing",
            polled_at=now,
            next_poll_at=now + wait,
            success=False,
            failures=failures,
            error_code=ErrorCode.TOO_MANY_FAILURES if disabled else error.code,
            last_error=error.message
            if not disabled
            else f"disabled after {failures} failures in a row; last: {error.message}",
            enabled=not disabled,
            redirect_url=feed.redirect_url,
            redirect_count=feed.redirect_count,
        )

    def _gone(self, feed: Feed, now: datetime) -> FeedUpdate:
        return FeedUpdate(
            feed_id=feed.id,
            status="disabled",
            polled_at=now,
            next_poll_at=now,
            success=False,
            failures=feed.failures,
            error_code=ErrorCode.GONE,
            last_error="the server says the feed is gone (HTTP 410)",
            enabled=False,
        )
