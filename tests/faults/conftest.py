"""Shared pieces of the fault tests: the real app built in-process against a local
feed server, with a clock the test moves (hostile peers are in tests/support/hostile.py).

Every test here is marked ``faults``: `make test` leaves them to `make test-all`."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Threadline, build
from bot.config.settings import load_settings
from bot.core.items import Feed
from bot.platforms.console import ConsolePlatform
from bot.ports import Fetcher
from tests.conftest import REPO
from tests.support.cli import threadline
from tests.support.clock import FakeClock
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, serve_feeds

START = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
FAULTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if FAULTS in item.path.parents:
            item.add_marker(pytest.mark.faults)


class Rig:
    """The real application, built as ``bot.app.build`` builds it, polling
    feeds on a local server, with a fake clock and the console platform."""

    def __init__(self, tmp_path: Path, server: FeedServer) -> None:
        self.tmp_path = tmp_path
        self.server = server
        self.clock = FakeClock(START)
        self.database_url = f"sqlite+aiosqlite:///{tmp_path / 'threadline.db'}"
        self.feeds_file = tmp_path / "feeds.yaml"
        self.console = io.StringIO()
        self.app: Threadline | None = None

    async def start(
        self,
        paths: Sequence[str],
        *,
        interval: int | None = 60,
        fetch_timeout: float = 5.0,
        fetcher: Fetcher | None = None,
    ) -> Threadline:
        """Write a feeds file naming ``paths`` on the server (the feed's name is
        its path) and build the app (with ``fetcher`` instead of the one the
        settings make, when given)."""
        write_feeds(self.feeds_file, [(self.server.url(p), p) for p in paths], interval=interval)
        settings = load_settings(
            allow_private_feeds=True,
            database_url=self.database_url,
            feeds_file=self.feeds_file,
            storylines_dir=REPO / "storylines",
            fetch_timeout=fetch_timeout,
        )
        self.app = await build(
            settings,
            clock=self.clock,
            fetcher=fetcher,
            platforms={"console": ConsolePlatform(self.console)},
        )
        await self.app.start()
        return self.app

    async def close(self) -> None:
        if self.app is not None:
            await self.app.close()
            self.app = None

    @property
    def threadline(self) -> Threadline:
        assert self.app is not None, "call start() first"
        return self.app

    async def feed(self, path: str) -> Feed:
        """The stored feed named ``path`` (its URL may have changed since)."""
        for feed in await self.threadline.store.feeds():
            if feed.name == path:
                return feed
        raise AssertionError(f"no feed named {path}")

    def minutes_until_due(self, feed: Feed) -> float:
        assert feed.next_poll_at is not None
        return minutes(feed.next_poll_at - self.clock.now())

    async def poll_due(self) -> Any:
        return await self.threadline.poller.run_due()

    async def poll_when_due(self, path: str) -> Feed:
        """Move the clock to the feed's next poll time, run one cycle of the
        due feeds and return the feed as stored afterwards."""
        feed = await self.feed(path)
        assert feed.next_poll_at is not None
        self.clock.set(max(self.clock.now(), feed.next_poll_at))
        await self.poll_due()
        return await self.feed(path)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with serve_feeds() as server:
        yield server


@pytest.fixture
async def rig(tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[Rig]:
    r = Rig(tmp_path, feed_server)
    yield r
    await r.close()


# --- the CLI in a subprocess ------------------------------------------------------------------


async def feeds_json(common: Sequence[str], env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``threadline feeds list --json``, by feed name."""
    code, out, err = await threadline("feeds", "list", "--json", *common, env=env)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {row["name"]: row for row in rows}


def minutes(delta: timedelta | None) -> float:
    assert delta is not None
    return delta.total_seconds() / 60
