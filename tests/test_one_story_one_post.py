"""The same event from several outlets in one window is posted once, "also reported by" the rest."""

from __future__ import annotations

import io
from pathlib import Path

from bot.app import build
from bot.config.settings import load_settings
from bot.platforms.console import ConsolePlatform
from tests.conftest import REPO
from tests.support.clock import ago
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss


def item(guid: str, link: str, title: str, hours_ago: float) -> dict[str, object]:
    return {
        "guid": guid,
        "link": link,
        "title": title,
        "summary": "",
        "published": ago(hours=hours_ago),
    }


async def test_three_outlets_one_event_one_reply(tmp_path: Path) -> None:
    srv = FeedServer()
    await srv.start()
    try:
        for name in ("a", "b", "c"):
            srv.set(f"/{name}.xml", rss([]))
        feeds = write_feeds(
            tmp_path / "feeds.yaml", [(srv.url(f"/{n}.xml"), f"Outlet {n.upper()}") for n in "abc"]
        )
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
            feeds_file=feeds,
            storylines_dir=REPO / "storylines",
            allow_private_feeds=True,
        )
        out = io.StringIO()
        app = await build(
            settings, platforms={"console": ConsolePlatform(out)}, use_seeded_history=False
        )
        await app.start()
        try:
            await app.poller.run_due(all_feeds=True)  # first poll: empty backlog
            await app.deliverer.drain()
            title = "Judge blocks Pentagon's supply-chain risk designation of Anthropic"
            srv.set("/a.xml", rss([item("a1", "https://a.example/judge-blocks", title, 3)]))
            srv.set("/b.xml", rss([item("b1", "https://b.example/ruling", title + " ", 2)]))
            srv.set(
                "/c.xml",
                rss(
                    [
                        item(
                            "c1",
                            "https://a.example/judge-blocks?utm_source=x",
                            "Court halts Pentagon's Anthropic supply-chain label",
                            1,
                        )
                    ]
                ),
            )
            report = await app.poller.run_due(all_feeds=True)
            assert report.new_items == 3
            await app.deliverer.drain()
        finally:
            await app.close()
    finally:
        await srv.close()
    coverage = [line for line in out.getvalue().splitlines() if "↳ [dod-dispute] •" in line]
    assert len(coverage) == 1 and "Outlet A" in coverage[0]
    # newest first: C (an hour ago) before B (two hours ago)
    assert "also reported by Outlet C, Outlet B" in out.getvalue()
