"""A large cycle's deciding runs off the event loop: chat commands are answered
while it decides."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path

from bot.app import build
from bot.config.settings import load_settings
from bot.core.commands import Invoker
from bot.core.items import Entry
from bot.core.match import Matcher
from bot.core.match_result import MatchResult
from bot.core.subscriptions import ChannelAddress
from bot.platforms.console import ConsolePlatform
from tests.conftest import REPO
from tests.support.clock import ago
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss


class HeldMatcher(Matcher):
    """The real matcher, held at its first item until the test lets it go."""

    def __init__(self, inner: Matcher) -> None:
        self.__dict__.update(inner.__dict__)
        self.deciding = threading.Event()
        self.go_on = threading.Event()

    def match(self, entry: Entry) -> list[MatchResult]:
        self.deciding.set()
        # Were deciding on the event loop, the test could never set go_on.
        assert self.go_on.wait(timeout=60), "the event loop was blocked while deciding"
        return super().match(entry)


async def test_a_command_is_answered_while_a_cycle_decides(tmp_path: Path) -> None:
    srv = FeedServer()
    await srv.start()
    srv.set("/a.xml", rss([]))
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
        await app.poller.run_due(all_feeds=True)  # first poll: empty backlog
        srv.set(
            "/a.xml",
            rss(
                [
                    {
                        "guid": "a1",
                        "link": "https://a.example/judge-blocks",
                        "title": "Judge blocks Pentagon's supply-chain risk designation",
                        "summary": "",
                        "published": ago(hours=1),
                    }
                ]
            ),
        )
        held = HeldMatcher(app.poller.matcher)
        app.poller.matcher = held
        cycle = asyncio.create_task(app.poller.run_due(all_feeds=True))
        assert await asyncio.to_thread(held.deciding.wait, 60)
        admin = Invoker("u1", ChannelAddress("console", "terminal"), is_admin=True)
        reply = await app.commands.execute(admin, "feeds list")
        assert "Outlet A" in reply.text
        held.go_on.set()
        report = await cycle
        assert report.new_items == 1
    finally:
        await app.close()
        await srv.close()
