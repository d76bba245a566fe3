"""Real-world-shaped feeds (tests/data/feeds/*, each with the expected result
beside it) read by both parsers: dates at the right instant or flagged,
titles intact (XHTML ones with or without their div), a headline made and
flagged where the feed gave none, items kept apart (by link, or by title and
text where they share a guid and have no link), the article's own link, JSON Feed."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser_rs
import pytest

from bot.core.items import Entry
from bot.core.normalise import document_keys, normalise
from bot.core.posts import Reply
from bot.errors import ParseError
from bot.feeds.feedparser_adapter import FeedparserParser
from bot.feeds.formats import FastFeedParser
from bot.platforms.discord.render import render_reply as discord_reply
from bot.platforms.slack.render import render_reply as slack_reply
from bot.ports import FeedParser

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
FIXTURES = sorted(p.name for p in DATA.iterdir() if not p.name.endswith(".expected.json"))
XML_FIXTURES = [name for name in FIXTURES if name.endswith(".xml")]


def expected(name: str) -> dict[str, Any]:
    stem = name.rsplit(".", 1)[0]
    data: dict[str, Any] = json.loads((DATA / f"{stem}.expected.json").read_text("utf-8"))
    return data


def read(parser: FeedParser, name: str) -> list[Entry]:
    """The fixture as the poll cycle sees it: parsed, normalised, kept apart."""
    spec = expected(name)
    first_seen = datetime.fromisoformat(spec["first_seen"])
    feed = parser.parse((DATA / name).read_bytes(), spec["headers"])
    # Keyed as the poll cycle keys them: within the document, before normalising.
    return [
        normalise(raw, feed_id=1, source="s", first_seen=first_seen, key=key)
        for raw, key in zip(feed.entries, document_keys(feed.entries), strict=True)
    ]


def parsers_for(name: str) -> list[FeedParser]:
    # feedparser does not read JSON Feed; the fast parser reads everything.
    return [FastFeedParser()] if name.endswith(".json") else [FastFeedParser(), FeedparserParser()]


def as_seen(entry: Entry, fields: list[str]) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = getattr(entry, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


@pytest.mark.parametrize("name", FIXTURES)
def test_each_fixture_reads_as_expected_by_every_parser(name: str) -> None:
    items = expected(name)["items"]
    for parser in parsers_for(name):
        entries = read(parser, name)
        got = [as_seen(e, list(want)) for e, want in zip(entries, items, strict=False)]
        assert got == items, type(parser).__name__
        assert len(entries) == len(items), type(parser).__name__


@pytest.mark.parametrize("name", XML_FIXTURES)
def test_both_parsers_give_every_item_the_same_key(name: str) -> None:
    fast = [e.key for e in read(FastFeedParser(), name)]
    slow = [e.key for e in read(FeedparserParser(), name)]
    assert fast == slow
    # No item lost as a duplicate; only a word-for-word re-post shares a key.
    assert len(set(fast)) == len(fast) - expected(name).get("reposts", 0)


def test_a_date_that_cannot_be_read_is_flagged_and_kept_as_text() -> None:
    entries = {e.key: e for e in read(FastFeedParser(), "dates.rss.xml")}
    for key in ("unreadable", "impossible", "time-only", "future"):
        assert entries[key].date_was_replaced, key
        assert entries[key].published == entries[key].first_seen
        assert entries[key].published_text
    assert not entries["near-future"].date_was_replaced  # within a day: kept


def test_items_sharing_a_guid_are_all_kept() -> None:
    entries = read(FastFeedParser(), "items.rss.xml")
    assert [e.title for e in entries] == [
        "Why std::vector<int> is slow",
        "Profiling hot loops & caches",
        "Map<K, V> vs. HashMap<K, V>",
        "A post with its own guid",
    ]
    assert len({e.key for e in entries}) == 4


def test_the_self_closing_bug_of_feedparser_rs_loses_no_item() -> None:
    body = (DATA / "self-closing.rss.xml").read_bytes()
    # The pinned feedparser-rs (0.7.x) reads this 40-item feed as one item: a
    # self-closing element at the end of an item swallows the rest.
    assert len(feedparser_rs.parse(body, sanitize_html=False).entries) < 40
    parser = FastFeedParser()
    feed = parser.parse(body, {"content-type": "application/rss+xml"})
    assert [e.guid for e in feed.entries] == [f"town-{1000 + i}" for i in range(40)]
    assert parser.stats == {"fast": 0, "fallback": 1, "json": 0}


def test_a_plain_feed_is_read_by_the_fast_parser() -> None:
    parser = FastFeedParser()
    parser.parse((DATA / "dates.rss.xml").read_bytes())
    parser.parse((DATA / "xmlbase.atom.xml").read_bytes())
    assert parser.stats == {"fast": 2, "fallback": 0, "json": 0}


class PanicException(BaseException):
    """What pyo3 raises for a Rust panic: a BaseException, not an Exception."""


@pytest.mark.parametrize("failure", [PanicException("rust panicked"), ValueError("bad XML")])
def test_a_fast_parser_failure_falls_back_to_feedparser(
    failure: BaseException, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(feedparser_rs, "parse", broken)
    parser = FastFeedParser()
    feed = parser.parse((DATA / "dates.rss.xml").read_bytes())
    assert len(feed.entries) == 25
    assert parser.stats["fallback"] == 1


def test_a_panic_on_a_document_neither_parser_reads_is_a_parse_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise PanicException("rust panicked")

    monkeypatch.setattr(feedparser_rs, "parse", broken)
    with pytest.raises(ParseError) as caught:
        FastFeedParser().parse(b"<urlset><url><loc>https://x.example/</loc></url></urlset>")
    assert caught.value.code == "not_a_feed"


def test_the_fast_parser_never_fetches_a_url_given_as_the_body() -> None:
    with pytest.raises(ParseError, match="plain text"):
        FastFeedParser().parse(b"http://127.0.0.1:9/feed.xml")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"items": []}', "not a JSON Feed"),
        (b'{"items": [{"name": "a"}], "next": 2}', "not a JSON Feed"),
        (b'{"version": "2.0", "items": [{"id": "1"}]}', "not a JSON Feed"),
        (b"[1, 2, 3]", "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"}', "no list of items"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
    ],
    ids=["empty", "api-answer", "other-version", "list", "no-items", "truncated", "deep"],
)
def test_json_that_is_no_feed_is_refused_with_a_reason(body: bytes, says: str) -> None:
    with pytest.raises(ParseError, match=says) as caught:
        FastFeedParser().parse(body, {"content-type": "application/json"})
    assert caught.value.code == "not_a_feed"


def test_an_oversize_json_feed_is_refused() -> None:
    body = (DATA / "jsonfeed-1.1.json").read_bytes()
    with pytest.raises(ParseError, match="byte limit") as caught:
        FastFeedParser(max_bytes=100).parse(body)
    assert caught.value.code == "parse"


HOSTILE = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Hostile</title><link>https://h.example/</link>
<item><guid isPermaLink="false">h1</guid><title>&lt;!channel&gt; @everyone look</title>
<link>https://h.example/1</link>
<description>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;
&lt;a href="javascript:alert(1)"&gt;Read&lt;/a&gt; &lt;style&gt;p{}&lt;/style&gt;text</description>
</item></channel></rss>"""


def test_unsanitised_fast_parser_output_reaches_chat_as_plain_escaped_text() -> None:
    """The fast parser does not sanitise HTML: normalise turns every text into
    plain text, and the platforms escape it, so no markup or ping gets through."""
    (raw,) = FastFeedParser().parse(HOSTILE).entries
    entry = normalise(raw, feed_id=1, source="s", first_seen=datetime.fromisoformat("2024-06-01"))
    assert entry.summary == "Read text"
    assert entry.title == "<!channel> @everyone look"  # plain text, kept as written
    reply = Reply(kind="coverage", storyline="s", title=entry.title, url=entry.url, source="s")
    slack = slack_reply(reply)
    assert "<!channel>" not in json.dumps([slack.text, slack.blocks])
    assert "@everyone" not in json.dumps(discord_reply(reply), ensure_ascii=False)


def test_a_panic_while_reading_the_fast_result_falls_back_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = feedparser_rs.parse

    class Panicky:
        def __init__(self, inner: object) -> None:
            self.version = inner.version  # type: ignore[attr-defined]
            self.feed = inner.feed  # type: ignore[attr-defined]

        @property
        def entries(self) -> object:
            raise PanicException("a getter panicked")

    monkeypatch.setattr(feedparser_rs, "parse", lambda *a, **k: Panicky(real(*a, **k)))
    parser = FastFeedParser()
    assert len(parser.parse((DATA / "dates.rss.xml").read_bytes()).entries) == 25
    assert parser.stats["fallback"] == 1


def test_a_json_feed_without_its_version_is_still_read() -> None:
    body = b'{"title": "T", "items": [{"id": "a", "url": "https://j.example/a", "title": "A"}]}'
    (entry,) = FastFeedParser().parse(body, {"content-type": "application/feed+json"}).entries
    assert (entry.guid, entry.link, entry.title) == ("a", "https://j.example/a", "A")
