"""The fast parser behind the FeedParser port: the same guards in front, the
same item keys as feedparser on feedparser's own corpus."""

from __future__ import annotations

import contextlib
import tracemalloc
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.normalise import document_keys
from bot.errors import ParseError
from bot.feeds import raw_entries
from bot.feeds.feedparser_adapter import FeedparserParser
from bot.feeds.formats import FastFeedParser
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
