"""The fixtures served over HTTP and polled by the real bot: JSON Feed goes
through the same fetch, limits, normalisation and dedupe as RSS; items that
share a guid are all stored; FeedBurner items carry the article's own link."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from bot.app import build
from bot.config.settings import load_settings
from bot.platforms.console import ConsolePlatform
from tests.conftest import REPO
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
SERVED = {
    "/jsonfeed-1.0.json": ("jsonfeed-1.0.json", "application/json"),
    "/feed.json": ("jsonfeed-1.1.json", "application/feed+json; charset=utf-8"),
    "/items.rss": ("items.rss.xml", "application/rss+xml"),
    "/feedburner": ("feedburner.rss.xml", "text/xml; charset=UTF-8"),
}


async def test_json_feeds_and_odd_rss_are_stored_once_each(tmp_path: Path) -> None:
    srv = FeedServer()
    await srv.start()
    try:
        for path, (name, content_type) in SERVED.items():
            srv.set(path, (DATA / name).read_bytes(), content_type=content_type)
        feeds = write_feeds(
            tmp_path / "feeds.yaml", [(srv.url(p), f"Outlet {i}") for i, p in enumerate(SERVED)]
        )
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
            feeds_file=feeds,
            storylines_dir=REPO / "storylines",
            allow_private_feeds=True,
        )
        app = await build(settings, platforms={"console": ConsolePlatform(io.StringIO())})
        await app.start()
        try:
            first = await app.poller.run_due(all_feeds=True)
            assert first.feeds == 4 and not first.errors
            assert first.new_items == 2 + 3 + 4 + 2
            again = await app.poller.run_due(all_feeds=True)
            assert again.new_items == 0  # dedupe holds for every format
            stored = await app.store.entries_since(datetime.fromisoformat("2000-01-01T00:00Z"))
            urls = {e.url for e in stored}
            assert srv.url("/2024/05/20/river-levels") in urls  # against the feed's address
            assert "https://harbor-daily.example/2024/05/port-strike" in urls  # origLink
            assert not any("feedproxy" in (u or "") for u in urls)
            titles = {e.title for e in stored}
            assert "Why std::vector<int> is slow" in titles
            assert "Episode 212: Why std::vector<int> is slow" in titles
        finally:
            await app.close()
    finally:
        await srv.close()
