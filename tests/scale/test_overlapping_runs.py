"""Overlapping `threadline` processes on one database never post an item twice
(issue 9, case 1): three `run --once` started while the first is still fetching,
and a `run` daemon with `feeds list` (and a `run --once`) beside it. Posts are
counted at the Slack API double; feed requests at the feed server, whose answers
are held back until the other processes have started, so the runs truly overlap.
No flag is set: this is the default behaviour, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import REPO
from tests.support.cli import start, threadline
from tests.support.clock import ago
from tests.support.fake_slack import FakeSlack
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss

TOKEN = "xoxb-overlap-token"
FEEDS = 4
NEWS_PER_FEED = 5
RUNS = 3


async def until(condition: Callable[[], Any], what: str, timeout: float = 60) -> None:
    """Poll ``condition`` (sync or async) until it holds; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        held = condition()
        if isinstance(held, Awaitable):
            held = await held
        if held:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.05)


class GatedFeeds:
    """``FEEDS`` feeds on the local server. While the gate is shut, requests are
    counted and their answers held back (the fetching process holds its claims)."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.open = asyncio.Event()
        self.open.set()
        self.items: dict[int, list[dict[str, Any]]] = {
            n: [
                {
                    "guid": f"urn:overlap:{n}:old",
                    "link": f"https://outlet{n}.example/old",
                    "title": f"Outlet {n} local weather, old news",
                    "published": ago(days=3),
                }
            ]
            for n in range(FEEDS)
        }
        for n in range(FEEDS):
            server.handle(f"/feed/{n}", self._handler(n))

    def _handler(self, n: int) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(_: web.Request) -> web.StreamResponse:
            await self.open.wait()
            return web.Response(
                body=rss(self.items[n]), content_type="application/rss+xml", charset="utf-8"
            )

        return handle

    def url(self, n: int) -> str:
        return self.server.url(f"/feed/{n}")

    def hits(self) -> int:
        return sum(self.server.hits[f"/feed/{n}"] for n in range(FEEDS))

    def publish_news(self) -> list[str]:
        """Distinct items about the Pentagon–Anthropic dispute; returns their titles."""
        titles = []
        for n in range(FEEDS):
            for i in range(NEWS_PER_FEED):
                number = 1000 + n * 100 + i
                title = (
                    f"Pentagon and Anthropic: Department of War supply-chain dispute, "
                    f"filing {number}"
                )
                self.items[n].append(
                    {
                        "guid": f"urn:overlap:{n}:{i}",
                        "link": f"https://outlet{n}.example/{i}",
                        "title": title,
                        "summary": f"Report number {number}.",
                        "published": ago(hours=2, minutes=-(number % 100)),
                    }
                )
                titles.append(title)
        return titles


@dataclass
class Running:
    """A started CLI process whose stderr is read as it comes."""

    proc: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @property
    def done(self) -> bool:
        return self.proc.returncode is not None

    def said(self, words: str) -> bool:
        return any(words in line for line in self.lines)

    async def finish(self, timeout: float = 60) -> int:
        await asyncio.wait_for(self.proc.wait(), timeout)
        if self.reader is not None:
            await self.reader
        assert self.proc.returncode is not None
        return self.proc.returncode


async def launch(*args: str, env: dict[str, str]) -> Running:
    proc = await start(*args, env=env, stderr=asyncio.subprocess.PIPE)
    running = Running(proc)

    async def read() -> None:
        assert proc.stderr is not None
        async for line in proc.stderr:
            running.lines.append(line.decode(errors="replace"))

    running.reader = asyncio.create_task(read())
    return running


@dataclass
class Setup:
    env: dict[str, str]
    args: list[str]
    feeds: GatedFeeds
    slack: FakeSlack
    url: str

    async def scalar(self, sql: str) -> Any:
        engine = create_async_engine(self.url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(sql))
                return result.scalar() if result.returns_rows else None
        finally:
            await engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def overlap_setup(db_url: str, env: dict[str, str], tmp_path: Path) -> AsyncIterator[Setup]:
    """Feeds, a Slack double, a channel following dod-dispute, and a first clean
    run (each feed's first poll is its backlog: not posted)."""
    server = FeedServer()
    await server.start()
    slack = FakeSlack(token=TOKEN)
    await slack.start()
    feeds = GatedFeeds(server)
    try:
        feeds_file = write_feeds(
            tmp_path / "feeds.yaml", [(feeds.url(n), f"Outlet {n}") for n in range(FEEDS)]
        )
        env.update(
            SLACK_BOT_TOKEN=TOKEN,
            THREADLINE_SLACK_API_URL=slack.url,
            THREADLINE_HTTP_PORT=str(_free_port()),
            # Every item its own reply: no per-thread summary hides a double post.
            THREADLINE_MAX_REPLIES_PER_THREAD="1000",
        )
        args = [
            "--feeds",
            str(feeds_file),
            "--storylines",
            str(REPO / "storylines"),
            "--database",
            db_url,
        ]
        code, _, err = await threadline(
            "follow", "dod-dispute", "--channel", "slack:C1", *args, env=env
        )
        assert code == 0, err
        code, _, err = await threadline("run", "--once", *args, env=env)
        assert code == 0, err
        assert len(slack.messages("C1")) == 1  # the root card
        yield Setup(env, args, feeds, slack, db_url)
    finally:
        feeds.open.set()  # no answer stays held back
        await slack.stop()
        await server.close()


def posted_titles(slack: FakeSlack, titles: list[str]) -> Counter[str]:
    replies = [m for m in slack.messages("C1") if m.get("thread_ts", m["ts"]) != m["ts"]]
    return Counter(t for t in titles for m in replies if t in m["text"])


@pytest.mark.slow
async def test_overlapping_runs_post_each_item_once(
    db_url: str, env: dict[str, str], tmp_path: Path
) -> None:
    async with overlap_setup(db_url, env, tmp_path) as s:
        titles = s.feeds.publish_news()
        s.feeds.open.clear()
        base = s.feeds.hits()
        first = await launch("run", "--once", *s.args, env=s.env)
        # The first run has claimed every feed and is fetching them (held back).
        await until(lambda: s.feeds.hits() >= base + FEEDS, "the first run's fetches")
        others = [await launch("run", "--once", *s.args, env=s.env) for _ in range(RUNS - 1)]

        # Each other run has stepped aside (nothing to claim), is waiting for the
        # first (SQLite), or is fetching too (what used to happen).
        def settled() -> bool:
            active = [o for o in others if not (o.done or o.said("waiting for"))]
            return s.feeds.hits() >= base + FEEDS * (1 + len(active))

        await until(settled, "the overlapping runs to start")
        s.feeds.open.set()
        codes = [await r.finish() for r in (first, *others)]
        assert codes == [0] * RUNS, [r.lines for r in (first, *others)]

        counts = posted_titles(s.slack, titles)
        posts = len(s.slack.calls_of("chat.postMessage"))
        print(f"{s.url.split(':')[0]}: {RUNS} overlapping runs, {posts} posts at Slack")
        assert {t: counts[t] for t in titles} == dict.fromkeys(titles, 1)
        assert posts == 1 + len(titles)  # the root card, then each item once
        duplicates = await s.scalar(
            "SELECT count(*) FROM (SELECT item_id, subscription_id FROM outbox "
            "WHERE item_id IS NOT NULL GROUP BY item_id, subscription_id, kind, topic "
            "HAVING count(*) > 1) AS d"
        )
        assert duplicates == 0


@pytest.mark.slow
async def test_feeds_list_beside_a_daemon_leaves_its_claims(
    db_url: str, env: dict[str, str], tmp_path: Path
) -> None:
    async with overlap_setup(db_url, env, tmp_path) as s:
        titles = s.feeds.publish_news()
        # Every feed due again now (the first run set their next poll later).
        await s.scalar("UPDATE feeds SET next_poll_at = NULL")
        s.feeds.open.clear()
        base = s.feeds.hits()
        daemon = await launch("run", *s.args, env={**s.env, "THREADLINE_INSTANCE_ID": "daemon"})
        try:
            await until(lambda: s.feeds.hits() >= base + FEEDS, "the daemon's fetches")
            claimed = "SELECT count(*) FROM feeds WHERE lease_owner = 'daemon'"
            assert await s.scalar(claimed) == FEEDS

            code, out, err = await threadline("feeds", "list", *s.args, env=s.env)
            assert code == 0, err
            assert "Outlet 0" in out
            assert await s.scalar(claimed) == FEEDS  # the daemon's claims survive

            # A `run --once` beside it: nothing to claim on PostgreSQL; on SQLite
            # it refuses at once (no wait allowed here) and says why.
            beside = await launch(
                "run", "--once", *s.args, env={**s.env, "THREADLINE_LOCK_WAIT": "0"}
            )
            await until(
                lambda: beside.done or s.feeds.hits() > base + FEEDS, "the run beside the daemon"
            )
            s.feeds.open.set()
            code = await beside.finish()
            if s.url.startswith("sqlite"):
                assert code == 2, beside.lines
                assert beside.said("another threadline process"), beside.lines
            else:
                assert code == 0, beside.lines

            await until(
                lambda: sum(posted_titles(s.slack, titles).values()) >= len(titles),
                "the daemon's deliveries",
            )
        finally:
            s.feeds.open.set()
            if daemon.proc.returncode is None:
                daemon.proc.terminate()
            await daemon.finish()
        counts = posted_titles(s.slack, titles)
        assert {t: counts[t] for t in titles} == dict.fromkeys(titles, 1)
        assert len(s.slack.calls_of("chat.postMessage")) == 1 + len(titles)
