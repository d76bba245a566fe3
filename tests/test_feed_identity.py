"""Issue 9, cases 7 and 8: one feed is one feed however its URL is spelled, one
article is posted once however often it is re-published, and names and titles
cannot hide characters that spoof chat or defeat matching."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Threadline, build
from bot.config.settings import load_settings
from bot.config.storylines import load_storylines
from bot.core.commands import Invoker
from bot.core.items import FeedSeed, RawEntry
from bot.core.match import Matcher
from bot.core.normalise import normalise
from bot.core.subscriptions import ChannelAddress
from bot.platforms.console import ConsolePlatform
from tests.conftest import REPO
from tests.support.cli import threadline
from tests.support.clock import T0, ago
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss

ADMIN = Invoker("UADMIN", ChannelAddress("slack", "C1", "T1"), is_admin=True)
TITLE = "Judge blocks Pentagon's supply-chain risk designation of Anthropic"


def item(guid: str, link: str, title: str, days_ago: float) -> dict[str, object]:
    return {
        "guid": guid,
        "link": link,
        "title": title,
        "summary": "",
        "published": ago(days=days_ago),
    }


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    srv.set("/x.xml", rss([], title="Court \u202ereporter\u200b desk"))
    yield srv
    await srv.close()


async def started(tmp_path: Path, server: FeedServer, out: io.StringIO) -> Threadline:
    """A started bot on ``tmp_path``'s database, watching the server's feed,
    posting to ``out`` and auditing to ``tmp_path / "audit.jsonl"``."""
    feeds = tmp_path / "feeds.yaml"
    write_feeds(feeds, [(server.url("/x.xml"), "Court desk")])
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        feeds_file=feeds,
        storylines_dir=REPO / "storylines",
        allow_private_feeds=True,
        audit_log=tmp_path / "audit.jsonl",
    )
    bot = await build(
        settings, platforms={"console": ConsolePlatform(out)}, use_seeded_history=False
    )
    await bot.start()
    return bot


@pytest.fixture
async def app(tmp_path: Path, server: FeedServer) -> AsyncIterator[tuple[Threadline, io.StringIO]]:
    out = io.StringIO()
    app = await started(tmp_path, server, out)
    yield app, out
    await app.close()


# --- case 7: canonical duplicates ------------------------------------------------------------


async def test_feeds_add_compares_canonical_urls(
    app: tuple[Threadline, io.StringIO], server: FeedServer
) -> None:
    threadline_app, _ = app
    other = server.url("/x.xml").replace("http://", "HTTP://") + "#latest"
    reply = await threadline_app.commands.execute(ADMIN, f"feeds add {other}")
    assert not reply.ok and "Already watching that feed as #1" in reply.text
    assert len(await threadline_app.store.feeds()) == 1
    reply = await threadline_app.commands.execute(ADMIN, f"feeds remove {other}")
    assert reply.ok, reply.text
    assert await threadline_app.store.feeds() == []


async def test_a_republished_article_is_not_posted_again_days_later(
    app: tuple[Threadline, io.StringIO], server: FeedServer
) -> None:
    threadline_app, out = app
    await threadline_app.poller.run_due(all_feeds=True)  # first poll: empty backlog
    server.set("/x.xml", rss([item("g1", "https://court.example/ruling", TITLE, 5)]))
    await threadline_app.poller.run_due(all_feeds=True)
    await threadline_app.deliverer.drain()
    server.set(
        "/x.xml",
        rss(
            [
                item("g1", "https://court.example/ruling", TITLE, 5),
                item("g1-again", "https://court.example/ruling#top", TITLE, 1),
            ]
        ),
    )
    report = await threadline_app.poller.run_due(all_feeds=True)
    assert report.new_items == 1  # stored (a new guid) …
    await threadline_app.deliverer.drain()
    coverage = [line for line in out.getvalue().splitlines() if "↳ [dod-dispute] •" in line]
    assert len(coverage) == 1  # … but posted once


async def test_a_readded_feed_starts_without_the_removed_state(
    app: tuple[Threadline, io.StringIO], server: FeedServer
) -> None:
    threadline_app, _ = app
    assert (await threadline_app.commands.execute(ADMIN, "feeds remove 1")).ok
    assert (await threadline_app.commands.execute(ADMIN, f"feeds add {server.url('/x.xml')}")).ok
    [feed] = await threadline_app.store.feeds()
    assert feed.enabled and feed.error_code is None and feed.last_error is None


async def test_a_feed_added_back_keeps_its_items_posted_once_after_a_restart(
    tmp_path: Path, server: FeedServer
) -> None:
    out = io.StringIO()
    bot = await started(tmp_path, server, out)
    try:
        await bot.poller.run_due(all_feeds=True)  # first poll: empty backlog
        server.set("/x.xml", rss([item("g1", "https://court.example/ruling", TITLE, 1)]))
        assert (await bot.poller.run_due(all_feeds=True)).new_items == 1
        await bot.deliverer.drain()
        assert (await bot.commands.execute(ADMIN, "feeds remove 1")).ok
        assert (await bot.commands.execute(ADMIN, f"feeds add {server.url('/x.xml')}")).ok
    finally:
        await bot.close()
    # A new process knows nothing of the feed's last document; the feed, a
    # fresh start again, still has its item stored.
    bot = await started(tmp_path, server, out)
    try:
        report = await bot.poller.run_due(all_feeds=True)
        await bot.deliverer.drain()
    finally:
        await bot.close()
    assert report.new_items == 0
    coverage = [line for line in out.getvalue().splitlines() if "↳ [dod-dispute] •" in line]
    assert len(coverage) == 1
    # Nor is it decided again: the audit log tells of its match once.
    events = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events if e.get("item", {}).get("guid") == "g1"].count(
        "item.matched"
    ) == 1


# --- case 8: spoofing ------------------------------------------------------------------------


async def test_a_feed_named_from_its_title_loses_bidi_and_zero_width_characters(
    app: tuple[Threadline, io.StringIO], server: FeedServer
) -> None:
    threadline_app, _ = app
    server.set("/y.xml", rss([], title="Court \u202ereporter\u200b desk\u2066"))
    reply = await threadline_app.commands.execute(ADMIN, f"feeds add {server.url('/y.xml')}")
    assert reply.ok, reply.text
    names = [f.name for f in await threadline_app.store.feeds()]
    assert names == ["Court desk", "Court reporter desk"]


def test_zero_width_characters_inside_a_title_do_not_defeat_matching() -> None:
    raw = RawEntry(
        guid="z1",
        link="https://court.example/z",
        title="Judge blocks Penta\u200bgon's supply-chain risk designation of Anthro\u2060pic",
        summary_html="",
        published=T0,
    )
    entry = normalise(raw, feed_id=1, source="Desk", first_seen=T0)
    assert entry.title == TITLE
    matcher = Matcher(load_storylines(REPO / "storylines"))
    assert "dod-dispute" in {r.storyline for r in matcher.match(entry) if r.matched}


# --- passwords are never shown ----------------------------------------------------------------


@pytest.mark.slow  # several CLI processes (or many examples): make test-all
async def test_feeds_list_never_prints_a_stored_password(
    tmp_path: Path, env: dict[str, str]
) -> None:
    from bot.storage.engine import make_engine
    from bot.storage.migrate import upgrade
    from bot.storage.store import Store

    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    store = Store(make_engine(url))
    await upgrade(store.engine)
    # As an older version could store it, before user:pass@ was refused.
    await store.add_feed(FeedSeed("http://editor:hunter2@news.example/rss", "Old", 600), "cli", T0)
    await store.close()
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    for extra in ([], ["--json"]):
        code, out, err = await threadline(
            "feeds", "list", *extra, "--feeds", str(feeds), "--database", url, env=env
        )
        assert code == 0, err
        assert "hunter2" not in out + err and "editor:***@news.example" in out


@pytest.mark.slow  # several CLI processes (or many examples): make test-all
async def test_feeds_add_refuses_a_password_without_repeating_it(
    tmp_path: Path, env: dict[str, str]
) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    for url, words in (
        ("http://editor:hunter2@news.example/rss", "user name or password"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://news.example:99999/rss", "port 99999 is out of range"),
    ):
        code, out, err = await threadline(
            "feeds", "add", url, "--feeds", str(feeds), "--database", db, env=env
        )
        assert code == 1 and words in err and "hunter2" not in out + err
    code, out, _ = await threadline(
        "feeds", "list", "--feeds", str(feeds), "--database", db, env=env
    )
    assert out.strip() == "No feeds."
