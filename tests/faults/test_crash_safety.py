"""Crash safety (issue 5, item 5): `threadline run --once` is killed with
SIGKILL at random points of its cycle, again and again, while the feeds gain
items; then it is restarted until a run completes. No item may be lost and
none posted twice. Posts are counted at the wire, in a local fake of the Slack
Web API; items are counted in the database."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import REPO
from tests.support.cli import start, threadline
from tests.support.clock import ago
from tests.support.fake_slack import FakeSlack
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, atom, rss

SEED = 20260701
KILLS = 12
TOKEN = "xoxb-crash-token"


class Signal:
    """Wakes a waiter when a condition over the doubles' counters holds: the
    doubles ``poke`` it whenever something the test watches happened."""

    def __init__(self) -> None:
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    def poke(self) -> None:
        for condition, future in list(self._waiters):
            if not future.done() and condition():
                future.set_result(None)

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        if condition():
            return
        waiter = (condition, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await waiter[1]
        finally:
            self._waiters.remove(waiter)


class WatchedFeeds(FeedServer):
    def __init__(self, signal: Signal) -> None:
        super().__init__()
        self.signal = signal

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        response = await super()._dispatch(request)
        self.signal.poke()
        return response


class WatchedSlack(FakeSlack):
    def __init__(self, signal: Signal, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.signal = signal

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any] | str:
        # The message is stored before the answer goes back: a kill right after
        # this leaves the bot not knowing whether its post happened.
        result = super()._m_chat_postMessage(args)
        self.signal.poke()
        return result


class News:
    """Three feeds whose items the test adds between runs; remembers every
    item it ever served."""

    def __init__(self, server: FeedServer, rng: random.Random) -> None:
        self.server = server
        self.rng = rng
        self.items: dict[str, list[dict[str, Any]]] = {"fable": [], "dod": [], "mixed": []}
        self.number = 1000

    def _item(self, feed: str) -> dict[str, Any]:
        self.number += 1
        n = self.number
        kind = feed if feed != "mixed" else self.rng.choice(["fable", "dod", "other"])
        title = {
            "fable": f"Anthropic Claude Fable 5 export controls: Commerce review, note {n}",
            "dod": f"Pentagon and Anthropic: Department of War supply-chain dispute, filing {n}",
            "other": f"Weather report {n} for the coast",
        }[kind]
        return {
            "guid": f"urn:{feed}:{n}",
            "link": f"https://news.example/{feed}/{n}",
            "title": title,
            "summary": f"Report number {n}.",
            "published": ago(hours=2, seconds=-n),
            "kind": kind,
        }

    def add(self, feed: str) -> None:
        self.items[feed].append(self._item(feed))

    def publish(self) -> None:
        self.server.set("/fable.xml", rss(self.items["fable"], title="Fable desk"))
        self.server.set(
            "/dod.atom",
            atom(self.items["dod"], title="Court desk"),
            content_type="application/atom+xml",
        )
        self.server.set("/mixed.xml", rss(self.items["mixed"], title="Wire"))

    def served(self) -> set[tuple[str, str]]:
        paths = {"fable": "/fable.xml", "dod": "/dod.atom", "mixed": "/mixed.xml"}
        return {
            (self.server.url(paths[feed]), item["guid"])
            for feed, items in self.items.items()
            for item in items
        }


@pytest.fixture
async def doubles() -> AsyncIterator[tuple[Signal, WatchedFeeds, WatchedSlack]]:
    signal_ = Signal()
    feeds = WatchedFeeds(signal_)
    slack = WatchedSlack(signal_, token=TOKEN)
    await feeds.start()
    await slack.start()
    yield signal_, feeds, slack
    await slack.stop()
    await feeds.close()


async def run_and_kill(
    args: list[str],
    env: dict[str, str],
    kill_point: Callable[[], Any],
) -> bool:
    """Start `threadline run --once`; SIGKILL it when ``kill_point`` returns,
    unless it finished first. True when it was killed."""
    proc = await start(*args, env=env)
    exited = asyncio.ensure_future(proc.wait())
    reached = asyncio.ensure_future(kill_point())
    try:
        await asyncio.wait({exited, reached}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if not exited.done():
            os.kill(proc.pid, signal.SIGKILL)
        await exited
    finally:
        reached.cancel()
    return proc.returncode == -signal.SIGKILL


@pytest.mark.slow
async def test_sigkill_at_random_points_loses_no_item_and_posts_nothing_twice(
    tmp_path: Path,
    env: dict[str, str],
    doubles: tuple[Signal, WatchedFeeds, WatchedSlack],
) -> None:
    signal_, feeds, slack = doubles
    rng = random.Random(SEED)
    news = News(feeds, rng)
    for feed in ("fable", "dod", "mixed"):
        news.add(feed)
    news.publish()
    db = tmp_path / "db.sqlite"
    feeds_file = write_feeds(
        tmp_path / "feeds.yaml",
        [
            (feeds.url("/fable.xml"), "Fable desk"),
            (feeds.url("/dod.atom"), "Court desk"),
            (feeds.url("/mixed.xml"), "Wire"),
        ],
    )
    env.update(SLACK_BOT_TOKEN=TOKEN, THREADLINE_SLACK_API_URL=slack.url)
    common = [
        "--feeds",
        str(feeds_file),
        "--storylines",
        str(REPO / "storylines"),
        "--database",
        f"sqlite+aiosqlite:///{db}",
    ]
    for storyline in ("fable-suspension", "dod-dispute"):
        code, _, err = await threadline(
            "follow", storyline, "--channel", "slack:C1", *common, env=env
        )
        assert code == 0, err
    # The first poll of a feed is backlog (not posted): do it cleanly.
    code, _, err = await threadline("run", "--once", *common, env=env)
    assert code == 0, err
    backlog_titles = {i["title"] for items in news.items.values() for i in items}

    def requests() -> int:
        return sum(feeds.hits.values())

    def posts() -> int:
        return len(slack.calls_of("chat.postMessage"))

    kills: Counter[str] = Counter()
    runs = 1
    while sum(kills.values()) < KILLS:
        assert runs < 8 * KILLS, f"only {dict(kills)} kills landed in {runs} runs"
        for _ in range(rng.randint(1, 4)):
            news.add(rng.choice(["fable", "dod", "mixed"]))
        news.publish()
        kind = rng.choice(["feed_requests", "posts", "delay"])
        base_requests, base_posts = requests(), posts()

        async def kill_point(
            kind: str = kind, base_requests: int = base_requests, base_posts: int = base_posts
        ) -> None:
            if kind == "feed_requests":
                wanted = base_requests + rng.randint(1, 3)
                await signal_.wait_for(lambda: requests() >= wanted)
            elif kind == "posts":
                wanted = base_posts + rng.randint(1, 3)
                await signal_.wait_for(lambda: posts() >= wanted)
            else:
                await signal_.wait_for(lambda: requests() > base_requests)
                # A random moment of the cycle: fetching, parsing, committing, sending.
                await asyncio.sleep(rng.uniform(0.0, 0.8))

        runs += 1
        if await run_and_kill(["run", "--once", *common], env, kill_point):
            kills[kind] += 1
            if rng.random() < 0.5:
                continue  # restarted straight into the next (killed) run
        runs += 1
        code, _, err = await threadline("run", "--once", *common, env=env)
        assert code == 0, err
    code, _, err = await threadline("run", "--once", *common, env=env)
    assert code == 0, err
    runs += 1
    print(f"crash loop: {runs} runs, kills by kind {dict(kills)}, {posts()} posts at Slack")

    # No item lost, none stored twice.
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "SELECT feeds.url, items.guid FROM items JOIN feeds ON feeds.id = items.feed_id"
        ).fetchall()
        outbox = conn.execute("SELECT id, kind, status FROM outbox").fetchall()
    assert len(stored) == len(set(stored))
    assert set(stored) == news.served()

    # Every outbox row was sent, and each reached Slack exactly once.
    assert {status for _, _, status in outbox} == {"sent"}
    messages = slack.messages("C1")
    keys = Counter(m["metadata"]["event_payload"]["outbox_id"] for m in messages)
    assert keys and max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    reply_rows = {f"tl-{row_id}" for row_id, kind, _ in outbox if kind == "reply"}
    assert reply_rows == {k for k in keys if not k.startswith("tl-root-")}
    roots = [m for m in messages if m.get("thread_ts", m["ts"]) == m["ts"]]
    assert len(roots) == 2  # one thread per storyline, never restarted

    # Every matching item that arrived after the backlog is in its thread once.
    replies = [m for m in messages if m.get("thread_ts", m["ts"]) != m["ts"]]
    posted = Counter(
        item["title"]
        for items in news.items.values()
        for item in items
        for m in replies
        if item["title"] in m["text"]
    )
    for items in news.items.values():
        for item in items:
            expected = 0 if item["kind"] == "other" or item["title"] in backlog_titles else 1
            assert posted[item["title"]] == expected, item["title"]
