"""Shared by the end-to-end platform tests: news items, a feed server that serves
two desks, and the CLI flags that point `threadline` at them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Threadline, build
from bot.config.settings import load_settings
from bot.platforms.console import ConsolePlatform
from tests.conftest import REPO
from tests.support.clock import FakeClock, ago
from tests.support.feedserver import FeedServer, rss
from tests.support.status_rows import seed_status

FABLE = {
    "guid": "f1",
    "link": "https://news.example.com/fable-off",
    "title": "Anthropic disables Claude Fable 5 after US export-control directive",
    "summary": "Anthropic suspended access to Fable 5 for every customer.",
    "published": ago(days=2),
}
DOD = {
    "guid": "d1",
    "link": "https://news.example.com/designated",
    "title": "Pentagon formally designates Anthropic a supply-chain risk",
    "summary": "The Department of War sent Anthropic the formal supply chain risk letter.",
    "published": ago(days=2),
}
HOSTILE = {
    "guid": "f2",
    "link": "https://news.example.com/fable-talks",
    "title": "<!channel> Anthropic & Commerce talks on Claude Fable 5 suspension <@U999>",
    "summary": "Fable 5 stays suspended <http://evil.example|click here> &amp; more <!here>",
    "published": ago(hours=3),
}
BLOCKED = {
    "guid": "d2",
    "link": "https://news.example.com/injunction",
    "title": "Judge blocks Pentagon's supply-chain risk designation of Anthropic",
    "summary": "A federal judge granted Anthropic a preliminary injunction.",
    "published": ago(hours=2),
}


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    srv.set("/fable.xml", rss([FABLE]))
    srv.set("/dod.xml", rss([DOD]))
    yield srv
    await srv.close()


@pytest.fixture
def cli_args(tmp_path: Path, feeds: FeedServer) -> list[str]:
    """`--feeds … --storylines … --database … --audit-log …` for the two desks."""
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(
        f"feeds:\n  - url: {feeds.url('/fable.xml')}\n    name: Fable desk\n"
        f"  - url: {feeds.url('/dod.xml')}\n    name: Court desk\n"
    )
    return [
        "--feeds",
        str(feeds_file),
        "--storylines",
        str(REPO / "storylines"),
        "--database",
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        "--audit-log",
        str(tmp_path / "audit.jsonl"),
    ]


@pytest.fixture
async def threadline(tmp_path: Path) -> AsyncIterator[Threadline]:
    """The bot on SQLite with the shipped storylines, no feeds, and the status
    page's sample rows (feeds in each health, outbox rows waiting)."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        feeds_file=feeds,
        storylines_dir=REPO / "storylines",
    )
    clock = FakeClock()
    app = await build(settings, platforms={"console": ConsolePlatform()}, clock=clock)
    await seed_status(app.store, clock.now())
    try:
        yield app
    finally:
        await app.close()
