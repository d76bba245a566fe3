"""A large cycle's deciding runs off the event loop: chat commands are answered
while it decides; and the thread it runs on reads documents only while nothing
is decided, so reading never waits for a decision."""

from __future__ import annotations

import asyncio
import io
import os
import threading
from collections.abc import Collection, Mapping
from pathlib import Path

from bot.app import Threadline, build
from bot.config.settings import load_settings
from bot.core.commands import Invoker
from bot.core.items import Entry, ParsedFeed
from bot.core.match import Matcher
from bot.core.match_result import MatchResult
from bot.core.subscriptions import ChannelAddress
from bot.platforms.console import ConsolePlatform
from bot.ports import FeedParser
from bot.service.poll_cycle import MAX_READ_HERE
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


async def started(
    tmp_path: Path, srv: FeedServer, paths: list[str], *, parse_processes: int | None = None
) -> Threadline:
    """A started bot watching ``paths`` of ``srv`` (Outlet A, B, …)."""
    feeds = tmp_path / "feeds.yaml"
    write_feeds(feeds, [(srv.url(p), f"Outlet {chr(65 + i)}") for i, p in enumerate(paths)])
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        feeds_file=feeds,
        storylines_dir=REPO / "storylines",
        allow_private_feeds=True,
        parse_processes=parse_processes,
    )
    app = await build(settings, platforms={"console": ConsolePlatform(io.StringIO())})
    await app.start()
    return app


async def test_a_command_is_answered_while_a_cycle_decides(tmp_path: Path) -> None:
    srv = FeedServer()
    await srv.start()
    srv.set("/a.xml", rss([]))
    app = await started(tmp_path, srv, ["/a.xml"])
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


class PidParser:
    """The bot's parser, noting the process of each read made with this very
    object (a parse worker reads with a copy of it)."""

    def __init__(self, inner: FeedParser) -> None:
        self.inner = inner
        self.read_in: list[int] = []

    def parse(
        self, body: bytes, headers: Mapping[str, str] | None = None, known: Collection[str] = ()
    ) -> ParsedFeed:
        self.read_in.append(os.getpid())
        return self.inner.parse(body, headers, known)


async def test_the_deciding_thread_reads_documents_only_while_nothing_is_decided(
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
    other = [{**item, "guid": f"b{i}", "link": f"https://b.example/{i}"} for i in (1, 2)]
    srv.set("/a.xml", rss([]))
    srv.set("/b.xml", rss([]))
    app = await started(tmp_path, srv, ["/a.xml", "/b.xml"], parse_processes=1)
    try:
        parser = PidParser(app.poller.parser)
        app.poller.parser = parser
        await app.poller.run_due(all_feeds=True)  # first poll: empty backlog
        outlet_b = next(f for f in await app.store.feeds() if f.name == "Outlet B")
        # Nothing decided: the bot's own thread reads (the worker is idle too).
        srv.set("/b.xml", rss(other[:1]))
        before = len(parser.read_in)
        fetched = await app.poller.fetch(outlet_b)
        assert parser.read_in[before:] == [os.getpid()]
        assert not isinstance(fetched, Exception) and fetched[1] is not None
        assert [e.key for e in fetched[1].new] == ["b1"]
        # A big document is the worker's alone, idle or not.
        padding = "<p>" + "word " * (MAX_READ_HERE // 5) + "</p>"
        srv.set("/b.xml", rss([{**other[0], "summary": padding}]))
        before = len(parser.read_in)
        fetched = await app.poller.fetch(outlet_b)
        assert not isinstance(fetched, Exception) and fetched[1] is not None
        assert [e.key for e in fetched[1].new] == ["b1"]
        assert parser.read_in[before:] == []

        srv.set("/a.xml", rss([item]))
        held = HeldMatcher(app.poller.matcher)
        app.poller.matcher = held
        cycle = asyncio.create_task(app.poller.run_due(all_feeds=True))
        assert await asyncio.to_thread(held.deciding.wait, 60)
        # A decision holds the thread: a document fetched now is read by the
        # worker, at once, not kept waiting for the decision to end.
        srv.set("/b.xml", rss(other))
        before = len(parser.read_in)
        fetched = await asyncio.wait_for(app.poller.fetch(outlet_b), timeout=30)
        assert not isinstance(fetched, Exception) and fetched[1] is not None
        assert sorted(e.key for e in fetched[1].new) == ["b1", "b2"]
        assert parser.read_in[before:] == []
        held.go_on.set()
        report = await cycle
        assert report.new_items == 2  # a1 and b1, fetched before the test changed b
    finally:
        held_matcher = app.poller.matcher
        if isinstance(held_matcher, HeldMatcher):
            held_matcher.go_on.set()
        await app.close()
        await srv.close()
