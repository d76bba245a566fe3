"""A feed format is one reader registered with its media types: the fetcher
asks for what is registered, and a document goes to the reader its bytes
allow, the Content-Type choosing only among those."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import pytest

from bot.core.items import ParsedFeed, RawEntry
from bot.errors import ParseError
from bot.feeds.formats import FastFeedParser
from bot.feeds.formats.json_feed import JsonFeed
from bot.feeds.formats.rss_atom import RssAtom
from bot.feeds.registry import FormatRegistry, MediaType
from tests.support.feedserver import rss

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
OUTLINE = b'<?xml version="1.0"?><opml version="2.0"><body><outline text="A"/></body></opml>'


class Outline:
    """A format a newcomer might add: XML bytes, like RSS, told apart only
    by the media type it is served as."""

    media_types = (MediaType("text/x-opml"),)

    def __init__(self) -> None:
        self.stats: dict[str, int] = {"outline": 0}

    def sniff(self, start: bytes) -> bool:
        return start[:1] == b"<"

    def parse(
        self, body: bytes, headers: Mapping[str, str], known: Collection[str] = ()
    ) -> ParsedFeed:
        self.stats["outline"] += 1
        entry = RawEntry(guid="a", link=None, title="A", summary_html="", published=None)
        return ParsedFeed(title="Outline", link=None, entries=(entry,))


def with_outline() -> FormatRegistry:
    rss_atom = RssAtom()
    return FormatRegistry([rss_atom, JsonFeed(), Outline()], fallback=rss_atom)


def test_the_accept_header_lists_every_registered_media_type_best_first() -> None:
    assert FastFeedParser().accept == (
        "application/rss+xml, application/atom+xml, application/feed+json, "
        "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
        "application/json;q=0.8, */*;q=0.5"
    )
    assert "text/x-opml, " in with_outline().accept  # a new format is asked for


def test_the_content_type_picks_between_formats_the_bytes_allow() -> None:
    registry = with_outline()
    assert registry.parse(OUTLINE, {"Content-Type": "text/x-opml; charset=utf-8"}).title == (
        "Outline"
    )
    # Unlabelled, the first registered format that claims the bytes reads them.
    with pytest.raises(ParseError, match="not an RSS/Atom feed"):
        registry.parse(OUTLINE)
    assert registry.stats == {"fast": 0, "fallback": 1, "json": 0, "outline": 1}


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("jsonfeed-1.1.json", "application/rss+xml"),
        ("jsonfeed-1.1.json", "text/html; charset=utf-8"),
        ("items.rss.xml", "application/feed+json"),
        ("items.rss.xml", "application/octet-stream"),
    ],
)
def test_a_mislabelled_feed_is_still_read_by_the_reader_its_bytes_call_for(
    name: str, label: str
) -> None:
    body = (DATA / name).read_bytes()
    assert FastFeedParser().parse(body, {"content-type": label}).entries


def test_what_no_format_claims_is_read_by_the_fallback() -> None:
    utf16 = rss([{"guid": "1", "title": "Déjà vu"}]).decode("utf-8").encode("utf-16")
    parser = FastFeedParser()
    assert [e.title for e in parser.parse(utf16).entries] == ["Déjà vu"]
    with pytest.raises(ParseError, match="plain text"):
        parser.parse(b"Service unavailable, try later")
