"""While a batch is decided and recorded, the collector's full passes skip what
was alive before it; after, nothing is left frozen (nothing that dies is kept)."""

from __future__ import annotations

import gc
import io
from pathlib import Path

from bot.app import build
from bot.config.settings import load_settings
from bot.core.items import Entry
from bot.core.match import Matcher
from bot.core.match_result import MatchResult
from bot.platforms.console import ConsolePlatform
from tests.conftest import REPO
from tests.support.clock import ago
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss


class FreezeWatchingMatcher(Matcher):
    """The real matcher, noting how many objects were frozen while it matched."""

    def __init__(self, inner: Matcher) -> None:
        self.__dict__.update(inner.__dict__)
        self.frozen: list[int] = []

    def match(self, entry: Entry) -> list[MatchResult]:
        self.frozen.append(gc.get_freeze_count())
        return super().match(entry)


async def test_a_cycle_freezes_the_old_heap_while_it_decides_and_leaves_nothing_frozen(
    tmp_path: Path,
) -> None:
    srv = FeedServer()
    await srv.start()
    item = {
        "guid": "a1",
        "link": "https://a.example/judge-blocks",
        "title": "Judge blocks Pentagon's supply-chain risk designation",
        "summary": "",
        "published": ago(hours=1),
    }
    srv.set("/a.xml", rss([item]))
    feeds = tmp_path / "feeds.yaml"
    write_feeds(feeds, [(srv.url("/a.xml"), "Outlet A")])
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        feeds_file=feeds,
        storylines_dir=REPO / "storylines",
        allow_private_feeds=True,
    )
    app = await build(settings, platforms={"console": ConsolePlatform(io.StringIO())})
    await app.start()
    try:
        watching = FreezeWatchingMatcher(app.poller.matcher)
        app.poller.matcher = watching
        before = gc.get_freeze_count()
        report = await app.poller.run_due(all_feeds=True)
        assert report.new_items == 1
        assert watching.frozen and all(count > 0 for count in watching.frozen)
        assert gc.get_freeze_count() == before == 0
    finally:
        await app.close()
        await srv.close()
