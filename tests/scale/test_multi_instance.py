"""Several `threadline run` processes on one PostgreSQL database share the work:
each feed is fetched once per interval (counted at the feed server), each
delivery is sent once (counted at a fake Slack), and a killed process's claimed
feeds are taken over once its lease runs out. No flag is needed: this is how
instances on PostgreSQL always work."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import socket
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import REPO
from tests.support.fake_slack import fake_slack
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss, serve_feeds

INTERVAL = 30  # the shortest interval settings allow
LEASE = 15
FEEDS = 200
SLOW = 4  # feeds that answer slowly, so a process can be killed while holding them
SLOW_SECONDS = 6.0
NEWS = 8  # feeds that publish a matching item after the first poll
TOKEN = "xoxb-scale-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _until(
    condition: Callable[[], Awaitable[bool]], timeout: float, what: str, step: float = 0.25
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(step)


class Feeds:
    """200 feeds on the local server; every request's wall-clock time is kept."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.hits: dict[int, list[float]] = defaultdict(list)
        self.items: dict[int, list[dict[str, Any]]] = {}
        for n in range(FEEDS):
            self.items[n] = [
                {
                    "guid": f"urn:scale:{n}:{i}",
                    "link": f"https://outlet{n}.example/{i}",
                    "title": f"Outlet {n} local news number {i}",
                    "published": datetime(2026, 5, 1, i, tzinfo=UTC),
                }
                for i in range(3)
            ]
            server.handle(f"/feed/{n}", self._handler(n))

    def _handler(self, n: int) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(_: web.Request) -> web.StreamResponse:
            self.hits[n].append(time.time())
            if n < SLOW:
                await asyncio.sleep(SLOW_SECONDS)
            return web.Response(
                body=rss(self.items[n]), content_type="application/rss+xml", charset="utf-8"
            )

        return handle

    def url(self, n: int) -> str:
        return self.server.url(f"/feed/{n}")

    def publish(self, n: int) -> None:
        """A new item about the Pentagon–Anthropic dispute (distinct per feed)."""
        self.items[n].insert(
            0,
            {
                "guid": f"urn:scale:{n}:news",
                "link": f"https://outlet{n}.example/news",
                "title": (
                    f"Judge blocks Pentagon supply-chain risk designation of Anthropic, "
                    f"filing {1000 + n}"
                ),
                "summary": (
                    "A federal judge granted Anthropic a preliminary injunction against the "
                    f"Department of War's supply-chain risk label (docket {1000 + n})."
                ),
                "published": datetime.now(UTC),
            },
        )


async def _cli(env: dict[str, str], *args: str, timeout: float = 60) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=env["TL_CWD"],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, (out + err).decode()


@contextlib.asynccontextmanager
async def _instances(
    envs: list[dict[str, str]], logs: Path
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    procs = []
    try:
        for i, env in enumerate(envs):
            log = (logs / f"instance-{i}.log").open("wb")
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "run",
                    env=env,
                    cwd=env["TL_CWD"],
                    stdout=log,
                    stderr=log,
                )
            )
            log.close()
        yield procs
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


@pytest.mark.slow
@pytest.mark.postgres
async def test_three_instances_share_feeds_and_deliveries(
    postgres_url: str, env: dict[str, str], tmp_path: Path
) -> None:
    async with serve_feeds() as server, fake_slack(token=TOKEN) as slack:
        feeds = Feeds(server)
        feeds_file = write_feeds(
            tmp_path / "feeds.yaml",
            [(feeds.url(n), f"Outlet {n}") for n in range(FEEDS)],
            interval=INTERVAL,
        )
        base = {
            **env,
            "TL_CWD": str(tmp_path),
            "PYTHONPATH": str(REPO),
            "THREADLINE_DATABASE_URL": postgres_url,
            "THREADLINE_FEEDS_FILE": str(feeds_file),
            "THREADLINE_STORYLINES_DIR": str(REPO / "storylines"),
            "THREADLINE_FEED_LEASE": str(LEASE),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": "scale-test-secret",
            "THREADLINE_SLACK_API_URL": slack.url,
            "THREADLINE_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
        }
        code, output = await _cli(base, "follow", "dod-dispute", "--channel", "slack:C1")
        assert code == 0, output
        engine = create_async_engine(postgres_url)

        async def scalar(sql: str, **params: Any) -> Any:
            async with engine.connect() as conn:
                return (await conn.execute(text(sql), params)).scalar()

        envs = [
            {**base, "THREADLINE_INSTANCE_ID": f"p{i}", "THREADLINE_HTTP_PORT": str(_free_port())}
            for i in range(3)
        ]
        try:
            async with _instances(envs, tmp_path) as procs:
                # Cycle 1: every feed polled once (its backlog), the root card posted once.
                # "Polled" is what the database recorded: a fetch the server saw may
                # belong to a cycle that has not committed yet (or never will, below).
                async def all_polled() -> bool:
                    done = await scalar(
                        "SELECT count(*) FROM feeds WHERE backlog_done AND url = ANY(:urls)",
                        urls=[feeds.url(n) for n in range(SLOW, FEEDS)],
                    )
                    return bool(done == FEEDS - SLOW and all(feeds.hits[n] for n in range(FEEDS)))

                await _until(all_polled, 60, "every feed's first poll")

                # Kill the process holding a slow feed while it is fetching it.
                lease: dict[str, Any] = {}

                async def slow_feed_leased() -> bool:
                    async with engine.connect() as conn:
                        row = (
                            await conn.execute(
                                text(
                                    "SELECT url, lease_owner, lease_until FROM feeds "
                                    "WHERE url = ANY(:urls) AND lease_until > now() "
                                    "ORDER BY lease_until LIMIT 1"
                                ),
                                {"urls": [feeds.url(n) for n in range(SLOW)]},
                            )
                        ).first()
                    if row is not None:
                        lease.update(url=row.url, owner=row.lease_owner, until=row.lease_until)
                    return row is not None

                await _until(slow_feed_leased, INTERVAL + 15, "a slow feed under a lease")
                victim = procs[int(lease["owner"].removeprefix("p"))]
                victim.send_signal(signal.SIGKILL)
                killed_at = time.time()
                await victim.wait()
                slow = next(n for n in range(SLOW) if feeds.url(n) == lease["url"])
                # Everything the dead process claimed with that feed (a process
                # claims a batch of due feeds at once) was never recorded: each
                # is fetched again, but only once the lease has run out.
                async with engine.connect() as conn:
                    orphaned = {
                        row.url: row.lease_until.timestamp()
                        for row in await conn.execute(
                            text("SELECT url, lease_until FROM feeds WHERE lease_owner = :owner"),
                            {"owner": lease["owner"]},
                        )
                    }
                assert lease["url"] in orphaned

                # Cycle 2: some feeds publish news about the dispute.
                for n in range(SLOW, SLOW + NEWS):
                    feeds.publish(n)
                published_at = time.time()

                async def taken_over() -> bool:
                    polled = await scalar(
                        "SELECT last_polled_at FROM feeds WHERE url = :url", url=lease["url"]
                    )
                    return polled is not None and polled.timestamp() > killed_at

                await _until(taken_over, LEASE + INTERVAL + 20, "the killed process's feed")
                retaken = [h for h in feeds.hits[slow] if h > killed_at]
                assert retaken, "the feed was recorded as polled without a fetch"
                # Not before the dead process's lease ran out.
                assert retaken[0] >= lease["until"].timestamp() - 1

                async def news_delivered() -> bool:
                    polled = await scalar(
                        "SELECT count(*) FROM feeds WHERE url = ANY(:urls) "
                        "AND extract(epoch FROM last_polled_at) > :at",
                        urls=[feeds.url(n) for n in range(SLOW, SLOW + NEWS)],
                        at=published_at,
                    )
                    pending = await scalar(
                        "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
                    )
                    return polled == NEWS and pending == 0

                await _until(news_delivered, INTERVAL + 30, "the news delivered to Slack")

                # Let every feed see one more cycle, to count fetches over several.
                started = time.time()

                async def another_cycle() -> bool:
                    return all(any(h > started for h in feeds.hits[n]) for n in range(SLOW, FEEDS))

                await _until(another_cycle, INTERVAL + 15, "another cycle of every feed")
            sent = await scalar(
                "SELECT count(*) FROM outbox WHERE status = 'sent' AND kind IN ('root', 'reply')"
            )
        finally:
            await engine.dispose()

    # Each feed fetched once per interval: no two fetches of a feed closer than
    # the interval (a double fetch would be ~0 s apart). A feed is due again one
    # interval after its poll was recorded, which follows its fetch; the second
    # of slack is for the clocks of the feed server and the database.
    for n in range(SLOW, FEEDS):
        times = sorted(feeds.hits[n])
        assert len(times) >= 3, (n, times)
        if feeds.url(n) in orphaned:
            before = [h for h in times if h <= killed_at]
            after = [h for h in times if h > killed_at]
            assert after[0] >= orphaned[feeds.url(n)] - 1, (n, times)
            gaps = [b - a for a, b in [*itertools.pairwise(before), *itertools.pairwise(after)]]
        else:
            gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= INTERVAL - 1, (n, gaps)

    # Each delivery sent once: one Slack message per sent outbox row, no repeats.
    messages = slack.messages("C1")
    keys = [m["metadata"]["event_payload"]["outbox_id"] for m in messages if m.get("metadata")]
    assert len(keys) == len(messages) == sent
    assert len(set(keys)) == len(keys)
    roots = [m for m in messages if "thread_ts" not in m or m["thread_ts"] == m["ts"]]
    assert len(roots) == 1
    # …and each news item decided once and posted as decided: as many coverage
    # messages as "posted" decisions, none twice.
    decided = [
        json.loads(line)
        for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
        if "filing 1" in line and '"item.matched"' in line
    ]
    assert sorted(d["item"]["title"] for d in decided) == sorted(
        {d["item"]["title"] for d in decided}
    ), "a news item was decided twice"
    assert len(decided) == NEWS
    posted = sorted(d["item"]["title"] for d in decided if d["posted"])
    news = sorted(m["text"].split(" — ")[0] for m in messages if "filing 1" in m["text"])
    assert news == posted
    assert len(posted) == NEWS  # each feed's news came after its first (backlog) poll
