"""The poll loop: the database's due times are the schedule. A fake clock, a fake
alarm (the test rings it) and a fake poller over a few feeds make every step
deterministic: nothing here sleeps or reads the wall clock."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build
from bot.config.settings import load_settings
from bot.core.commands import Invoker
from bot.core.subscriptions import ChannelAddress
from bot.entry.schedule import CLAIM_AT_MOST, IDLE_MIN, RECHECK, RETRY, PollLoop, SchedulerAlarm
from bot.platforms.console import ConsolePlatform
from bot.service.poll_cycle import CycleReport
from tests.conftest import REPO
from tests.support.clock import FakeClock
from tests.support.feedserver import FeedServer, rss
from tests.support.store_rows import item_count

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ADMIN = Invoker("UADMIN", ChannelAddress("slack", "C1", "T1"), is_admin=True)


class FakeAlarm:
    """Records each alarm the loop sets; the test moves the clock and rings it."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.requests: asyncio.Queue[datetime] = asyncio.Queue()
        self._ring: Callable[[], None] | None = None
        self._when: datetime | None = None

    def ring_at(self, when: datetime, ring: Callable[[], None]) -> None:
        self._ring, self._when = ring, when
        self.requests.put_nowait(when)

    async def next(self) -> datetime:
        """The next alarm the loop sets (it is then asleep until it rings)."""
        return await asyncio.wait_for(self.requests.get(), 10)

    def ring(self) -> None:
        assert self._ring is not None and self._when is not None
        self.clock.t = max(self.clock.t, self._when)
        self._ring()


@dataclass
class FakeFeed:
    name: str
    next_poll_at: datetime
    interval: timedelta = timedelta(seconds=30)
    held: bool = False  # under another process's lease that the store still shows as due


class FakeFeeds:
    """The poller and the schedule over in-memory feeds: a turn claims the due
    ones (at most ``limit``) and moves each one's next poll an interval on."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.feeds: dict[str, FakeFeed] = {}
        self.polls: list[tuple[datetime, list[str]]] = []
        self.fail_next = False
        self.during_next_poll: Callable[[], None] | None = None

    def add(self, name: str, due: datetime, **kw: object) -> None:
        self.feeds[name] = FakeFeed(name, due, **kw)  # type: ignore[arg-type]

    async def run_due(self, *, limit: int) -> CycleReport:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("database unreachable")
        now = self.clock.now()
        due = sorted(
            (f for f in self.feeds.values() if f.next_poll_at <= now and not f.held),
            key=lambda f: f.next_poll_at,
        )[:limit]
        for f in due:
            f.next_poll_at = now + f.interval
        if due:
            self.polls.append((now, sorted(f.name for f in due)))
        if self.during_next_poll is not None:  # while the claimed feeds are fetched
            during, self.during_next_poll = self.during_next_poll, None
            during()
        return CycleReport(feeds=len(due))

    async def next_poll_due(self) -> datetime | None:
        return min((f.next_poll_at for f in self.feeds.values()), default=None)


@dataclass
class Running:
    loop: PollLoop
    feeds: FakeFeeds
    alarm: FakeAlarm
    clock: FakeClock
    reports: list[CycleReport]


@asynccontextmanager
async def running(feeds: FakeFeeds) -> AsyncIterator[Running]:
    clock = feeds.clock
    alarm = FakeAlarm(clock)
    reports: list[CycleReport] = []

    async def after_turn(report: CycleReport) -> None:
        reports.append(report)

    loop = PollLoop(poller=feeds, schedule=feeds, clock=clock, alarm=alarm, after_turn=after_turn)
    task = asyncio.create_task(loop.run())
    try:
        yield Running(loop, feeds, alarm, clock, reports)
    finally:
        loop.stop()
        await asyncio.wait_for(task, 10)


@pytest.fixture
def feeds() -> FakeFeeds:
    return FakeFeeds(FakeClock(T0))


async def test_a_due_feed_is_polled_once_then_the_loop_sleeps_until_it_is_due_again(
    feeds: FakeFeeds,
) -> None:
    feeds.add("due", T0)
    async with running(feeds) as r:
        assert await r.alarm.next() == T0 + timedelta(seconds=30)
        assert feeds.polls == [(T0, ["due"])]
        assert r.alarm.requests.empty()  # asleep: no turn before the alarm rings


async def test_a_feed_due_later_is_polled_when_its_time_comes(feeds: FakeFeeds) -> None:
    feeds.add("now", T0, interval=timedelta(seconds=50))
    feeds.add("later", T0 + timedelta(seconds=20))
    async with running(feeds) as r:
        assert await r.alarm.next() == T0 + timedelta(seconds=20)
        r.alarm.ring()
        assert await r.alarm.next() == T0 + timedelta(seconds=50)
        r.alarm.ring()
        await r.alarm.next()
    assert feeds.polls == [
        (T0, ["now"]),
        (T0 + timedelta(seconds=20), ["later"]),
        (T0 + timedelta(seconds=50), ["later", "now"]),
    ]


async def test_adding_a_feed_wakes_the_loop_without_waiting_for_the_clock(
    feeds: FakeFeeds,
) -> None:
    feeds.add("old", T0)
    async with running(feeds) as r:
        await r.alarm.next()
        feeds.add("added", T0)
        r.loop.wake()
        await r.alarm.next()
        assert feeds.polls == [(T0, ["old"]), (T0, ["added"])]


async def test_a_feed_added_during_a_turn_is_polled_in_the_next_turn_at_once(
    feeds: FakeFeeds,
) -> None:
    feeds.add("old", T0)
    async with running(feeds) as r:

        def add_from_chat() -> None:
            feeds.add("added", T0)
            r.loop.wake()

        feeds.during_next_poll = add_from_chat  # set before the loop's first turn
        await r.alarm.next()
        await r.alarm.next()  # the second turn came without the alarm ringing
        assert feeds.polls == [(T0, ["old"]), (T0, ["added"])]


async def test_a_failed_turn_is_logged_and_retried_and_the_loop_goes_on(
    feeds: FakeFeeds, caplog: pytest.LogCaptureFixture
) -> None:
    feeds.add("due", T0)
    feeds.fail_next = True
    with caplog.at_level(logging.ERROR, logger="bot.entry.schedule"):
        async with running(feeds) as r:
            assert await r.alarm.next() == T0 + RETRY
            assert feeds.polls == []
            r.alarm.ring()
            await r.alarm.next()
            assert feeds.polls == [(T0 + RETRY, ["due"])]
    assert "database unreachable" in caplog.text


async def test_feeds_added_by_another_process_are_seen_within_the_recheck(
    feeds: FakeFeeds,
) -> None:
    async with running(feeds) as r:
        assert await r.alarm.next() == T0 + RECHECK  # no feeds at all: still rechecks
        feeds.add("from the cli", T0 + timedelta(seconds=5))  # no wake: another process
        r.alarm.ring()
        await r.alarm.next()
        assert feeds.polls == [(T0 + RECHECK, ["from the cli"])]


async def test_a_feed_due_far_ahead_never_makes_the_loop_sleep_past_the_recheck(
    feeds: FakeFeeds,
) -> None:
    feeds.add("daily", T0 + timedelta(hours=5))
    async with running(feeds) as r:
        assert await r.alarm.next() == T0 + RECHECK


async def test_more_due_feeds_than_one_claim_are_polled_in_turns_without_waiting(
    feeds: FakeFeeds,
) -> None:
    for n in range(2 * CLAIM_AT_MOST + 7):
        feeds.add(f"feed {n:03}", T0)
    async with running(feeds) as r:
        assert await r.alarm.next() == T0  # more is due: wake at once
        r.alarm.ring()
        assert await r.alarm.next() == T0
        r.alarm.ring()
        assert await r.alarm.next() == T0 + timedelta(seconds=30)
    assert [len(names) for _, names in feeds.polls] == [CLAIM_AT_MOST, CLAIM_AT_MOST, 7]
    assert [r.feeds for r in r.reports] == [CLAIM_AT_MOST, CLAIM_AT_MOST, 7]


async def test_a_due_feed_that_cannot_be_claimed_never_makes_the_loop_spin(
    feeds: FakeFeeds,
) -> None:
    feeds.add("held elsewhere", T0 - timedelta(seconds=3), held=True)
    async with running(feeds) as r:
        assert await r.alarm.next() == T0 + IDLE_MIN


async def test_stop_ends_the_loop_while_it_sleeps(feeds: FakeFeeds) -> None:
    feeds.add("due", T0)
    async with running(feeds) as r:
        await r.alarm.next()
    assert len(feeds.polls) == 1  # stopping polled nothing more


async def test_the_apscheduler_alarm_rings_inside_the_event_loop() -> None:
    alarm = SchedulerAlarm()
    alarm.start()
    rang = asyncio.Event()
    threads: list[int] = []

    def ring() -> None:
        threads.append(threading.get_ident())
        rang.set()

    try:
        alarm.ring_at(datetime.now(UTC) - timedelta(seconds=5), ring)  # passed: rings at once
        await asyncio.wait_for(rang.wait(), 10)
    finally:
        alarm.shutdown()
    assert threads == [threading.get_ident()]  # asyncio.Event is not thread-safe


# --- with the real store and poll cycle ------------------------------------------------------


async def test_a_feed_added_from_chat_is_polled_at_once_by_the_running_loop(
    tmp_path: Path,
) -> None:
    server = FeedServer()
    await server.start()
    item = {"guid": "1", "link": "https://e.example/1", "title": "Hello", "published": T0}
    server.set("/feed.xml", rss([item], title="Example feed"))
    (tmp_path / "feeds.yaml").write_text("feeds: []\n")
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        feeds_file=tmp_path / "feeds.yaml",
        storylines_dir=REPO / "storylines",
        allow_private_feeds=True,
    )
    clock = FakeClock(T0)
    app = await build(settings, clock=clock, platforms={"slack": ConsolePlatform(io.StringIO())})
    await app.start()
    alarm = FakeAlarm(clock)

    async def after_turn(report: CycleReport) -> None:
        pass

    loop = PollLoop(
        poller=app.poller, schedule=app.store, clock=clock, alarm=alarm, after_turn=after_turn
    )
    app.commands.on_feed_added = loop.wake
    task = asyncio.create_task(loop.run())
    try:
        assert await alarm.next() == T0 + RECHECK  # nothing to poll yet
        reply = await app.commands.execute(ADMIN, f"feeds add {server.url('/feed.xml')}")
        assert reply.ok, reply.text
        await alarm.next()
        [feed] = await app.store.feeds()
        assert feed.last_polled_at == T0 and feed.backlog_done
        assert feed.next_poll_at == T0 + timedelta(seconds=feed.interval_seconds)
        assert await item_count(app.store) == 1
    finally:
        loop.stop()
        await asyncio.wait_for(task, 10)
        await app.close()
        await server.close()
