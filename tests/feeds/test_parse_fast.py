"""The fast parser behind the FeedParser port: the same guards in front, the
same item keys as feedparser on feedparser's own corpus."""

from __future__ import annotations

import contextlib
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.document import Origin, document_items
from bot.core.items import RawEntry
from bot.core.normalise import document_keys
from bot.errors import ParseError
from bot.feeds import raw_entries
from bot.feeds.feedparser_adapter import FeedparserParser
from bot.feeds.formats import FastFeedParser
from bot.feeds.parse_worker import read_document
from bot.feeds.raw_entries import feed_urljoin
from bot.ports import FeedParser
from tests.feeds.test_parse import ATTACKS, ENCODINGS, encode

ROOT = Path(__file__).resolve().parents[2]
# Beside the repository (a clone), or two levels up (a worktree).
CORPUS = next(
    (
        c / "corpus/feeds/feedparser-tests"
        for c in (ROOT.parent / "shared", ROOT.parent.parent / "shared")
        if (c / "corpus/feeds/feedparser-tests").is_dir()
    ),
    ROOT.parent / "shared/corpus/feeds/feedparser-tests",
)
ADDRESS = {"content-location": "https://feeds.example/dir/feed.xml"}

parser = FastFeedParser()


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_entity_attacks_are_neutralised_before_either_parser(attack: str, encoding: str) -> None:
    body = encode(ATTACKS[attack](), encoding)
    tracemalloc.start()
    try:
        with contextlib.suppress(ParseError):
            feed = parser.parse(body)
            assert all(len(e.title) < 10_000 for e in feed.entries)
            assert all("root:" not in e.title for e in feed.entries)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 64 * 2**20


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_never_raise_anything_but_parse_error(body: bytes) -> None:
    with contextlib.suppress(ParseError):
        parser.parse(body)


def keys(p: FeedParser, body: bytes) -> list[str] | str:
    try:
        feed = p.parse(body, ADDRESS)
    except ParseError as error:
        return f"ParseError({error.code})"
    return document_keys(feed.entries)  # as the poll cycle keys them


@pytest.mark.slow
def test_switching_parsers_changes_no_item_key_on_the_feedparser_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS} (a fresh clone lacks it)")
    fast, slow = FastFeedParser(), FeedparserParser()
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    assert len(files) > 1000
    differ = []
    for path in files:
        body = path.read_bytes()
        if path.suffix == ".json":
            assert keys(slow, body) == "ParseError(not_a_feed)"  # feedparser reads no JSON Feed
            assert isinstance(keys(fast, body), list)
            continue
        if keys(fast, body) != keys(slow, body):
            differ.append(str(path.relative_to(CORPUS)))
    assert differ == []
    # Most documents are read by the fast parser, not handed on.
    assert fast.stats["fast"] > 0.4 * len(files), fast.stats


@settings(max_examples=300, deadline=None)
# urljoin drops an empty ";params" segment of an http URL: the shortcut must not take it
@example("http://0/;", "http://x.example/")
@given(
    st.from_regex(raw_entries.PLAIN_ABSOLUTE, fullmatch=True),
    st.sampled_from(["", "https://feeds.example/dir/f.xml", "http://x.example/", "ftp://y/"]),
)
def test_the_shortcut_for_absolute_links_resolves_as_feedparser_does(url: str, base: str) -> None:
    assert feed_urljoin(base, url) == urljoin(base, url)


_TAG_PIECES = st.lists(
    st.sampled_from(
        ["<", "</", "item", "entry", "items", "rss:", "a.b-c:", ":", "x", "_", ".", "-", "é",
         " ", "\n", ">", "/>", "/", "<<", "&lt;", "itemx"]
    ),
    max_size=30,
).map(lambda pieces: "".join(pieces).encode())  # fmt: skip


@given(_TAG_PIECES)
@example(b"<rss:item><item/><a:b:entry >")
def test_the_possessive_item_tag_pattern_finds_what_the_backtracking_one_finds(
    document: bytes,
) -> None:
    import re

    from bot.feeds.formats import rss_atom

    backtracking = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")
    assert rss_atom._ITEM_TAG.findall(document) == backtracking.findall(document)


ORIGIN = Origin(3, "Example News", datetime(2026, 12, 1, tzinfo=UTC))
# Permalink guids relative to the address, guids that are not links, an Atom
# entry under its own xml:base: every way feedparser resolves a guid.
PERMALINKS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<link>https://news.example/</link>
<item><guid>/a/1</guid><title>One &amp; all</title>
<description>&lt;p&gt;First&lt;/p&gt;</description>
<pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate></item>
<item><guid isPermaLink="false">tag:news.example,2026:2</guid><title>Two</title>
<link>/b/2</link></item>
<item><guid>https://news.example/c/3</guid><title>Three</title></item>
<item><guid isPermaLink="true">d/4</guid><title>Four</title><description>Fourth</description></item>
</channel></rss>"""
ATOM_BASES = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"
 xml:base="https://other.example/feeds/"><title>T</title><id>urn:t</id>
<updated>2026-12-01T00:00:00Z</updated>
<entry xml:base="sub/"><id>e/1</id><title type="text">One &lt;b&gt;</title>
<link href="x/1"/></entry>
<entry><id>urn:e:2</id><title type="html">Two &lt;b&gt;bold&lt;/b&gt;</title><link href="/y/2"/>
<summary>Second</summary><updated>2026-11-30T10:00:00Z</updated></entry>
<entry><id>e/3</id><title>Three</title></entry>
</feed>"""


@pytest.mark.parametrize("body", [PERMALINKS, ATOM_BASES], ids=["rss", "atom"])
def test_items_read_as_known_give_the_document_read_in_full(body: bytes) -> None:
    """Told which keys are stored, the fast parser reads those entries' guids
    alone: the same keys, and the other items exactly as read in full."""
    full = read_document(parser, body, ADDRESS, ORIGIN, frozenset())
    assert len(full.keys) == len(set(full.keys)) >= 3
    for known in _subsets(full.keys):
        entries = parser.parse(body, ADDRESS, known).entries
        assert [e.known for e in entries] == [k in known for k in full.keys]
        read = read_document(parser, body, ADDRESS, ORIGIN, known)
        assert read.keys == full.keys
        assert read.new == tuple(e for e in full.new if e.key not in known)


def test_entries_whose_guids_key_them_only_with_more_are_read_in_full() -> None:
    """Two guids that resolve to one address are keyed by their links too:
    nothing may be skipped, whatever the caller knows."""
    body = PERMALINKS.replace(b"<guid>https://news.example/c/3</guid>", b"<guid>/a/1</guid>")
    body = body.replace(b"<guid>/a/1</guid>", b"<guid>../a/1</guid>", 1)
    keys = read_document(parser, body, ADDRESS, ORIGIN, frozenset()).keys
    entries = parser.parse(body, ADDRESS, frozenset(keys)).entries
    assert len(entries) == 4 and not any(e.known for e in entries)


def test_an_entry_read_as_known_whose_key_is_new_is_a_bug_not_an_item() -> None:
    """A parser that skipped the text of a new item must not make an empty one."""
    skipped = RawEntry(guid="g1", link=None, title="", summary_html="", published=None, known=True)
    with pytest.raises(ValueError, match="skipped the text"):
        document_items([skipped], ORIGIN, frozenset({"other"}))


@pytest.mark.slow
def test_reading_with_known_keys_changes_nothing_on_the_feedparser_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS} (a fresh clone lacks it)")
    read_as_known = 0
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        body = path.read_bytes()
        try:
            full = read_document(parser, body, ADDRESS, ORIGIN, frozenset())
        except ParseError:
            continue
        known = frozenset(full.keys[::2])
        read = read_document(parser, body, ADDRESS, ORIGIN, known)
        assert (read.keys, read.new) == (
            full.keys,
            tuple(e for e in full.new if e.key not in known),
        ), path
        read_as_known += sum(e.known for e in parser.parse(body, ADDRESS, known).entries)
    assert read_as_known > 0  # some documents go the fast path, and skip their known items


def _subsets(keys: tuple[str, ...]) -> list[frozenset[str]]:
    return [frozenset(), frozenset(keys), frozenset(keys[::2]), frozenset(keys[1::2])]
