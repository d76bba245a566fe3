"""The command service shared by Slack, Discord and the CLI."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import SystemClock
from bot.config.storylines import load_storylines
from bot.core.commands import Invoker
from bot.core.subscriptions import ChannelAddress
from bot.feeds.fetch import HttpFetcher
from bot.feeds.formats import FastFeedParser
from bot.platforms.console import ConsolePlatform
from bot.service.commands import CommandService
from bot.service.deliver import Deliverer
from bot.service.ledger import FactLedger
from bot.storage.audit_log import AuditLog
from tests.conftest import REPO
from tests.support.console_app import console_app
from tests.support.feedserver import FeedServer, rss
from tests.support.memory_store import MemoryStore
from tests.support.store_rows import outbox_statuses

CHANNEL = ChannelAddress("slack", "C1", "T1")
ADMIN = Invoker("UADMIN", CHANNEL, is_admin=True)
MEMBER = Invoker("UMEMBER", CHANNEL, is_admin=False)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    srv.set(
        "/feed.xml",
        rss(
            [
                {
                    "guid": "1",
                    "link": "https://e.example/1",
                    "title": "Hello",
                    "summary": "",
                    "published": None,
                }
            ],
            title="Example feed",
        ),
    )
    srv.set("/page.html", b"<html><body>not a feed</body></html>", content_type="text/html")
    yield srv
    await srv.close()


@dataclass
class Services:
    """The commands and delivery as ``build`` wires them, on the in-memory store."""

    store: MemoryStore
    commands: CommandService
    deliverer: Deliverer


@pytest.fixture
async def app() -> AsyncIterator[Services]:
    store, clock = MemoryStore(), SystemClock()
    storylines = load_storylines(REPO / "storylines")
    ledger = FactLedger(store, storylines, clock)
    fetcher = HttpFetcher(allow_private=True)
    commands = CommandService(
        store=store,
        ledger=ledger,
        storylines=storylines,
        fetcher=fetcher,
        parser=FastFeedParser(),
        clock=clock,
        default_interval=600,  # the setting's default
    )
    deliverer = Deliverer(
        store=store,
        ledger=ledger,
        platforms={"slack": ConsolePlatform(io.StringIO())},
        storylines=storylines,
        clock=clock,
        audit=AuditLog(None),
        owner="test",
    )
    yield Services(store, commands, deliverer)
    await fetcher.close()


async def test_a_member_cannot_add_feeds_and_nothing_is_fetched_or_stored(
    app: Services, server: FeedServer
) -> None:
    reply = await app.commands.execute(MEMBER, f"feeds add {server.url('/feed.xml')} Mine")
    assert not reply.ok and "admin" in reply.text.lower()
    assert sum(server.hits.values()) == 0
    assert await app.store.feeds() == []
    for line in ("feeds list", f"feeds remove {server.url('/feed.xml')}"):
        assert not (await app.commands.execute(MEMBER, line)).ok


async def test_an_admin_adds_lists_and_removes_a_feed(app: Services, server: FeedServer) -> None:
    reply = await app.commands.execute(ADMIN, f"feeds add {server.url('/feed.xml')}")
    assert reply.ok and "Example feed" in reply.text  # named after the feed's own title
    listing = await app.commands.execute(ADMIN, "feeds list")
    assert "Example feed" in listing.text and server.url("/feed.xml") in listing.text
    again = await app.commands.execute(ADMIN, f"feeds add {server.url('/feed.xml')}")
    assert not again.ok and "Already" in again.text
    removed = await app.commands.execute(ADMIN, "feeds remove 1")
    assert removed.ok and await app.store.feeds() == []


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("<{url}?b=1|Example feed>", "?b=1"),  # Slack's link with its label
        ("<{url}?b=1&amp;c=2|{url}?b=1&amp;c=2>", "?b=1&c=2"),  # & arrives as &amp;
        ("<{url}?b=1>", "?b=1"),
    ],
)
async def test_a_slack_link_is_stored_without_its_wrapping_and_label(
    app: Services, server: FeedServer, typed: str, query: str
) -> None:
    url = server.url("/feed.xml")
    reply = await app.commands.execute(ADMIN, f"feeds add {typed.format(url=url)}")
    assert reply.ok, reply.text
    [feed] = await app.store.feeds()
    assert feed.url == url + query
    removed = await app.commands.execute(ADMIN, f"feeds remove <{url}{query}|that one>")
    assert removed.ok and await app.store.feeds() == []
    # As `threadline feeds add '<…|…>'` hands it over (one argument, no command text).
    feed = await app.commands.add_feed(typed.format(url=url), None, origin="cli")
    assert feed.url == url + query


async def test_an_admin_is_told_why_a_url_is_not_added(app: Services, server: FeedServer) -> None:
    reply = await app.commands.execute(ADMIN, f"feeds add {server.url('/page.html')}")
    assert not reply.ok and "not" in reply.text and "feed" in reply.text
    reply = await app.commands.execute(ADMIN, "feeds add file:///etc/passwd")
    assert not reply.ok and "file" in reply.text
    assert await app.store.feeds() == []


async def test_anyone_follows_and_the_root_card_is_queued_at_once(app: Services) -> None:
    reply = await app.commands.execute(MEMBER, "follow dod-dispute")
    assert reply.ok and "dod-dispute" in reply.text
    assert not (await app.commands.execute(MEMBER, "follow no-such-story")).ok
    again = await app.commands.execute(MEMBER, "follow dod-dispute")
    assert "already" in again.text
    report = await app.deliverer.drain()
    assert report.sent == 1
    [sub] = [s for s in await app.store.subscriptions() if s.address.platform == "slack"]
    assert sub.root is not None
    assert (await app.commands.execute(MEMBER, "unfollow dod-dispute")).ok
    assert [s for s in await app.store.subscriptions() if s.address.platform == "slack"] == []


async def test_storylines_and_show_give_current_facts_and_timelines(app: Services) -> None:
    listing = await app.commands.execute(MEMBER, "storylines")
    assert "fable-suspension" in listing.text and "dod-dispute" in listing.text
    shown = await app.commands.execute(MEMBER, "show dod-dispute")
    assert shown.ok and "2026-03-26" in shown.text  # the seeded history's injunction date
    assert "follow <storyline>" in (await app.commands.execute(MEMBER, "")).text
    unknown = await app.commands.execute(MEMBER, "frobnicate")
    assert not unknown.ok and "follow" in unknown.text


async def test_follow_with_a_digest_changes_only_the_mode_of_a_followed_storyline(
    app: Services,
) -> None:
    first = await app.commands.execute(MEMBER, "follow dod-dispute digest:daily at:18:30")
    assert first.ok and "Following dod-dispute here" in first.text
    assert "digest daily at 18:30 UTC" in first.text
    again = await app.commands.execute(MEMBER, "follow dod-dispute digest:daily tz:Asia/Tokyo")
    assert again.ok and "digest daily at 09:00 Asia/Tokyo" in again.text
    [sub] = await app.store.subscriptions()
    assert str(sub.digest) == "daily at 09:00 Asia/Tokyo"
    assert await outbox_statuses(app.store) == {"pending": 1}  # one root card, not two
    listing = await app.commands.execute(MEMBER, "storylines")
    assert "this channel: follows, digest daily at 09:00 Asia/Tokyo" in listing.text
    other = Invoker("U2", ChannelAddress("slack", "C2", "T1"), is_admin=False)
    assert "this channel" not in (await app.commands.execute(other, "storylines")).text


async def test_bad_digest_options_are_refused_with_one_clear_line(app: Services) -> None:
    for line, says in (
        ("follow dod-dispute digest:weekly", "digest must be daily or off"),
        ("follow dod-dispute digest:daily at:9pm", "must be HH:MM"),
        ("follow dod-dispute digest:daily tz:Nowhere/City", "unknown time zone"),
        ("follow dod-dispute every:day", "does not take 'every:day'"),
    ):
        reply = await app.commands.execute(MEMBER, line)
        assert not reply.ok and says in reply.text and "\n" not in reply.text
    assert await app.store.subscriptions() == []


async def test_help_shows_the_admin_commands_as_each_platform_has_them_typed(
    tmp_path: Path,
) -> None:
    """Discord's admins type feed commands under /threadline-admin; Slack's
    under /threadline like everyone's, so Slack's help does not mention it."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    async with console_app(tmp_path, feeds) as (app, _out):
        on = {
            platform: await app.commands.execute(
                Invoker("U1", ChannelAddress(platform, "1234"), is_admin=False), "help"
            )
            for platform in ("slack", "discord")
        }
    assert "feeds add <url>" in on["slack"].text and "feeds add <url>" in on["discord"].text
    assert "/threadline-admin feeds" in on["discord"].text
    assert "Discord" not in on["slack"].text and "threadline-admin" not in on["slack"].text
