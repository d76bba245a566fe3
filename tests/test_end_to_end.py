"""`threadline run --once` end to end: feeds served on 127.0.0.1, the real CLI in a
subprocess, SQLite and PostgreSQL, the console platform and the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.config.storylines import load_storylines
from tests.conftest import REPO
from tests.support.cli import threadline
from tests.support.clock import ago
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, atom, rss

FABLE_ITEMS: list[dict[str, Any]] = [
    {
        "guid": "fable-1",
        "link": "https://news.example.com/fable/suspended?utm_source=rss",
        "title": "Anthropic disables Claude Fable 5 and Mythos 5 after US export-control directive",
        "summary": "<p>Anthropic said it <b>suspended</b> access to Fable 5 for all customers "
        "to comply with a Commerce Department directive.</p>",
        "published": ago(days=3),
    },
    {
        "guid": None,  # no guid: the link is the key
        "link": "https://news.example.com/markets/chips",
        "title": "Chip stocks rally as quarterly earnings beat forecasts",
        "summary": "Semiconductor shares rose on strong data-centre demand.",
        "published": "Tue, 10 Nov 2026 25:61:00 GMT",  # an odd date: first-seen time is used
    },
]
DOD_ITEMS: list[dict[str, Any]] = [
    {
        "guid": "urn:dod:1",
        "link": "https://court.example.org/anthropic-injunction",
        "title": "Judge blocks Pentagon's supply-chain risk designation of Anthropic",
        "summary": "A federal judge granted Anthropic a preliminary injunction against the "
        "Department of War's designation.",
        "published": ago(days=2),
    },
]
NEW_FABLE_ITEM = {
    "guid": "fable-2",
    "link": "https://news.example.com/fable/talks",
    "title": "Anthropic and Commerce officials meet over Claude Fable 5 suspension",
    "summary": "Talks over the export-control directive that took Fable 5 offline ended "
    "without a change, people familiar said.",
    "published": ago(hours=5),
}


def audit(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
async def server() -> Any:
    srv = FeedServer()
    await srv.start()
    srv.set("/fable.xml", rss(FABLE_ITEMS, title="Fable desk"))
    srv.set("/dod.atom", atom(DOD_ITEMS, title="Court desk"), content_type="application/atom+xml")
    yield srv
    await srv.close()


def both_feeds(tmp_path: Path, server: FeedServer) -> Path:
    return write_feeds(
        tmp_path / "feeds.yaml",
        [(server.url("/fable.xml"), "Fable desk"), (server.url("/dod.atom"), "Court desk")],
    )


async def test_run_once_backlog_then_conditional_get_then_one_new_reply(
    db_url: str, tmp_path: Path, server: FeedServer, env: dict[str, str]
) -> None:
    log = tmp_path / "audit.jsonl"
    # The feeds alone decide the facts here (the storyline files' histories end in July).
    args = [
        "run",
        "--once",
        "--no-seeded-history",
        "--feeds",
        str(both_feeds(tmp_path, server)),
        "--storylines",
        str(REPO / "storylines"),
        "--database",
        db_url,
        "--audit-log",
        str(log),
    ]

    # Cycle 1: the feeds' first poll is backlog: matched, fact-tracked, audited, not posted.
    code, out, err = await threadline(*args, env=env)
    assert code == 0, err
    events = audit(log)
    matched = [e for e in events if e["event"] == "item.matched"]
    assert {(e["storyline"], e["item"]["title"][:20]) for e in matched} == {
        ("fable-suspension", FABLE_ITEMS[0]["title"][:20]),
        ("dod-dispute", DOD_ITEMS[0]["title"][:20]),
    }
    assert all(e["posted"] is False for e in matched)
    assert set(matched[0]["item"]) == {"guid", "url", "title", "published", "feed"}
    assert isinstance(matched[0]["score"], float) and matched[0]["reasons"]
    changes = {(e["storyline"], e["fact"]): e for e in events if e["event"] == "fact.changed"}
    assert changes[("fable-suspension", "access_status")]["new"] == "suspended"
    assert changes[("dod-dispute", "designation_status")]["new"] == "blocked"
    # The console shows one thread per open storyline, with the current facts, and no replies.
    open_storylines = [s for s in load_storylines(REPO / "storylines") if s.status == "open"]
    assert out.count("(new thread)") == len(open_storylines) >= 2
    assert "(root card updated)" not in out  # the roots were posted with the current facts
    assert "Fable 5" in out and "↳" not in out
    assert "utm_source" not in log.read_text()

    # Cycle 2: validators go back, the server answers 304, nothing is parsed or posted.
    code, out, err = await threadline(*args, env=env)
    assert code == 0, err
    assert server.not_modified["/fable.xml"] == 1 and server.not_modified["/dod.atom"] == 1
    assert len(audit(log)) == len(events)
    assert "↳" not in out

    # Cycle 3: one feed gained one item: exactly one new reply, in its storyline's thread.
    server.set("/fable.xml", rss([*FABLE_ITEMS, NEW_FABLE_ITEM], title="Fable desk"))
    code, out, err = await threadline(*args, env=env)
    assert code == 0, err
    replies = [line for line in out.splitlines() if line.lstrip().startswith("↳")]
    assert len(replies) == 1
    assert replies[0].lstrip().startswith("↳ [fable-suspension] •")
    assert NEW_FABLE_ITEM["title"] in replies[0]
    new_events = audit(log)[len(events) :]
    assert [e["posted"] for e in new_events if e["event"] == "item.matched"] == [True]


async def test_loopback_feeds_are_refused_by_default(
    sqlite_url: str, tmp_path: Path, server: FeedServer, env: dict[str, str]
) -> None:
    del env["THREADLINE_ALLOW_PRIVATE_FEEDS"]
    feeds = both_feeds(tmp_path, server)
    common = [
        "--feeds",
        str(feeds),
        "--storylines",
        str(REPO / "storylines"),
        "--database",
        sqlite_url,
    ]
    code, _out, err = await threadline("run", "--once", *common, env=env)
    assert code == 0, err
    assert "loopback" in err
    assert sum(server.hits.values()) == 0
    code, out, err = await threadline("feeds", "list", "--json", *common, env=env)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert row["failures"] == 1 and "loopback" in row["last_error"]
        assert set(row) >= {"url", "status", "last_error", "failures"}


@pytest.mark.slow  # several CLI processes (or many examples): make test-all
async def test_cli_feeds_add_refuses_what_is_not_a_feed_and_stores_nothing(
    sqlite_url: str, tmp_path: Path, server: FeedServer, env: dict[str, str]
) -> None:
    server.set("/page.html", b"<html><body><h1>Hello</h1></body></html>", content_type="text/html")
    empty = tmp_path / "feeds.yaml"
    empty.write_text("feeds: []\n")
    common = [
        "--feeds",
        str(empty),
        "--storylines",
        str(REPO / "storylines"),
        "--database",
        sqlite_url,
    ]
    code, _out, err = await threadline("feeds", "add", server.url("/page.html"), *common, env=env)
    assert code != 0
    assert "not" in err.lower() and "feed" in err.lower()
    code, out, _ = await threadline("feeds", "list", "--json", *common, env=env)
    assert out.strip() == ""
    code, out, err = await threadline(
        "feeds", "add", server.url("/fable.xml"), "Fable desk", *common, env=env
    )
    assert code == 0, err
    code, out, _ = await threadline("feeds", "list", "--json", *common, env=env)
    assert [json.loads(line)["name"] for line in out.splitlines()] == ["Fable desk"]


@pytest.mark.slow  # several CLI processes (or many examples): make test-all
async def test_threadline_max_feed_bytes_also_raises_the_parser_limit(
    sqlite_url: str, tmp_path: Path, server: FeedServer, env: dict[str, str]
) -> None:
    # A 6 MiB feed (a large comment pads it) is over the parser's 5 MiB default:
    # with THREADLINE_MAX_FEED_BYTES at 8 MiB both the download and the parse accept it.
    padded = rss(FABLE_ITEMS, title="Fable desk").replace(
        b"<item>", b"<!-- " + b"x" * (6 * 1024 * 1024) + b" --><item>", 1
    )
    server.set("/fable.xml", padded)
    common = ["--feeds", str(both_feeds(tmp_path, server)), "--database", sqlite_url]
    common += ["--storylines", str(REPO / "storylines")]
    env["THREADLINE_MAX_FEED_BYTES"] = str(8 * 1024 * 1024)
    code, _out, err = await threadline("run", "--once", "--no-seeded-history", *common, env=env)
    assert code == 0, err
    code, out, err = await threadline("feeds", "list", "--json", *common, env=env)
    assert code == 0, err
    rows = {row["name"]: row for row in map(json.loads, out.splitlines())}
    assert rows["Fable desk"]["failures"] == 0, rows["Fable desk"]["last_error"]
    assert rows["Fable desk"]["status"] == "ok"
