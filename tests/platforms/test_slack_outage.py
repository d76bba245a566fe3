"""A long Slack outage loses nothing: the real slack_sdk client against the local
Slack double, a real SQLite store, a cron "run" every 10 simulated minutes.

Slack first answers 503 for an hour, then refuses connections for an hour; a run
is killed mid-send before it all starts. When Slack is back every post goes out,
each exactly once (the one caught mid-send is found, not sent again)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.config.storylines import load_storylines
from bot.core.posts import Reply
from bot.core.subscriptions import ChannelAddress
from bot.platforms.slack.platform import SlackPlatform, make_client
from bot.service.deliver import RETRY_CAP, Deliverer, DeliveryReport
from bot.service.ledger import FactLedger
from bot.storage import migrate
from bot.storage import tables as t
from bot.storage.audit_log import AuditLog
from bot.storage.engine import make_engine
from bot.storage.store import Store
from tests.conftest import REPO
from tests.support.clock import FakeClock
from tests.support.fake_slack import FakeSlack, fake_slack
from tests.support.store_rows import queue_reply

TOKEN = "xoxb-outage"
CRON = timedelta(minutes=10)
STORYLINES = load_storylines(REPO / "storylines")
TITLES = [f"Pentagon update number {n:02}" for n in range(12)]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with fake_slack(token=TOKEN) as server:
        yield server


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[Store]:
    engine = make_engine(sqlite_url)
    await migrate.upgrade(engine)
    s = Store(engine)
    yield s
    await s.close()


class Cron:
    """``run --once`` every 10 minutes: a fresh deliverer (a new process) each run."""

    def __init__(self, store: Store, slack: FakeSlack, clock: FakeClock) -> None:
        self.store, self.slack, self.clock = store, slack, clock
        self.runs = 0
        self.pauses = 0

    def deliverer(self) -> Deliverer:
        self.runs += 1
        return Deliverer(
            store=self.store,
            ledger=FactLedger(self.store, STORYLINES, self.clock),
            platforms={"slack": SlackPlatform(make_client(TOKEN, self.slack.url))},
            storylines=STORYLINES,
            clock=self.clock,
            audit=AuditLog(None),
            owner=f"cron-{self.runs}",
            sleep=self.paced,
        )

    async def paced(self, seconds: float) -> None:
        """Channel pacing, counted rather than waited out (the clock is simulated)."""
        self.pauses += 1

    async def run(self) -> DeliveryReport:
        report = await self.deliverer().drain()
        self.clock.advance(CRON)
        return report


def texts(slack: FakeSlack) -> list[str]:
    return [m["text"] for m in slack.messages("C1")]


async def test_two_hours_of_slack_outage_lose_no_post_and_send_each_once(
    store: Store, slack: FakeSlack
) -> None:
    clock = FakeClock()
    cron = Cron(store, slack, clock)
    sub, _ = await store.follow(ChannelAddress("slack", "C1"), "dod-dispute", clock.now())
    for title in TITLES:
        await queue_reply(
            store,
            sub.id,
            Reply(kind="coverage", storyline="dod-dispute", title=title, url="https://e.com/a"),
        )

    # A run is killed while Slack takes its root card (posted, never acknowledged).
    slack.stall("chat.postMessage")
    killed = asyncio.create_task(cron.deliverer().drain())
    await slack.stalled.wait()
    killed.cancel()
    await asyncio.gather(killed, return_exceptions=True)
    clock.advance(CRON)

    # An hour of 503s, then an hour of refused connections: a run every 10 minutes.
    slack.outage(503)
    during = [await cron.run() for _ in range(6)]
    backlog = await cron.deliverer().backlog()
    assert backlog.waiting == 1 + len(TITLES)
    assert any("server_error" in (r.error or "") for r in backlog.reasons)
    slack.restore()
    await slack.go_offline()
    during += [await cron.run() for _ in range(6)]
    backlog = await cron.deliverer().backlog()
    assert backlog.waiting == 1 + len(TITLES) and backlog.failed == 0
    assert any("network error" in (r.error or "") for r in backlog.reasons)
    assert sum(r.sent for r in during) == 0
    # One call a run at most finds Slack down; the other messages wait with it.
    assert len(slack.calls_of("chat.postMessage")) <= 1 + 6
    assert texts(slack) == [texts(slack)[0]]  # only the root the killed run posted

    # Slack is back: within the capped back-off (plus one run) everything goes out.
    await slack.come_back()
    runs_after = 0
    while (await cron.deliverer().backlog()).waiting and runs_after < 4:
        await cron.run()
        runs_after += 1
    assert runs_after <= RETRY_CAP / CRON.total_seconds() + 1
    posted = texts(slack)
    assert len(posted) == 1 + len(TITLES)  # one root (found, not posted again) + each reply
    for title in TITLES:
        assert sum(title in text for text in posted) == 1
    async with store.engine.connect() as conn:
        rows = list(await conn.execute(t.outbox.select()))
    assert {r.status for r in rows} == {"sent"}
    # Attempts count Slack's answers only: the kill spent none, refused tries
    # are counted apart, and the hour of 503s was answered a handful of times.
    assert all(r.attempts <= 6 for r in rows)
    assert any(r.unreachable for r in rows)
