"""RSS and Atom read by feedparser 6: the ``FeedParser`` port on its own, and
the reader the fast path hands a document to when feedparser-rs falls short
(``bot.feeds.formats.rss_atom``).

feedparser is given the bytes ``xml_guard`` made safe, never a URL or path."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Collection, Mapping
from typing import Any

import feedparser

from bot.core.items import ParsedFeed, RawEntry
from bot.errors import ErrorCode, ParseError
from bot.feeds.dates import FallbackBudget, parse_date
from bot.feeds.not_a_feed import HTML_ROOT, html_page, refuse_non_feeds
from bot.feeds.parse_contract import MAX_DOCUMENT_BYTES, check_size, parse_or_error, printable
from bot.feeds.raw_entries import defuse_text_refs, feed_urljoin
from bot.feeds.xml_guard import guard, root_start

# The first plain <link> is the channel's (RSS 0.9x/2.0 put it before the items,
# RSS 1.0 keeps the channel before them too).
_CHANNEL_LINK = re.compile(rb"<link>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]+)")
_ATOM_ROOT = re.compile(rb"<(?:[\w.-]+:)?feed[\s>/]")


class FeedparserParser:
    """The ``FeedParser`` port over feedparser 6 (RSS and Atom). Swap it for
    another class with the same ``parse`` to change parsers.

    ``parse`` raises ``ParseError`` only: ``not_a_feed`` (HTML, empty, plain
    text, JSON …), ``unsafe_xml`` (entity tricks that could not be
    neutralised), ``parse`` (too big, or feedparser failed)."""

    def __init__(
        self,
        *,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        sanitize_html: bool = True,
        resolve_relative_uris: bool = True,
    ) -> None:
        self.max_bytes = max_bytes
        self.sanitize_html = sanitize_html
        self.resolve_relative_uris = resolve_relative_uris

    def parse(
        self, body: bytes, headers: Mapping[str, str] | None = None, known: Collection[str] = ()
    ) -> ParsedFeed:
        # Every entry read in full, ``known`` or not: feedparser reads them all anyway.
        return parse_or_error(self._parse, body, headers)

    def _parse(self, body: bytes, headers: Mapping[str, str] | None) -> ParsedFeed:
        check_size(body, self.max_bytes)
        document, lower = guard(body, headers)
        refuse_non_feeds(document)
        return self.read(document, lower)

    def read(self, document: bytes, headers: Mapping[str, str]) -> ParsedFeed:
        """Parse a document that went through ``guard`` (UTF-8, entities
        neutralised); ``headers`` have lower-case names."""
        if not _ATOM_ROOT.match(_root(document)):
            document = _rss_links_against_channel(document, headers.get("content-location") or "")
        result = feedparser.parse(
            io.BytesIO(document),
            response_headers=_utf8_headers(headers),
            sanitize_html=self.sanitize_html,
            resolve_relative_uris=self.resolve_relative_uris,
        )
        if not result.get("version") and not result.get("entries"):
            if HTML_ROOT.search(document[:4096]):
                raise html_page()
            reason = result.get("bozo_exception")
            detail = f" (the XML parser said: {printable(str(reason))})" if reason else ""
            raise ParseError(f"this is not an RSS/Atom feed{detail}", code=ErrorCode.NOT_A_FEED)
        feed = result.get("feed") or {}
        budget = FallbackBudget()
        return ParsedFeed(
            title=_text(_field(feed, "title")) or "",
            link=_text(_field(feed, "link")),
            entries=tuple(_raw_entry(entry, budget) for entry in result.get("entries") or ()),
        )


def _root(document: bytes) -> bytes:
    """The start of the root element, or b"" when the prolog is broken."""
    try:
        i = root_start(document)
    except ParseError:
        return b""
    return document[i : i + 64] if i >= 0 else b""


def _rss_links_against_channel(document: bytes, address: str) -> bytes:
    """RSS links are relative to the channel's ``<link>``; feedparser would
    resolve them against the document's address. An ``xml:base`` on each plain
    ``<link>`` element makes it use the channel link, and only for links: guids
    are still resolved as before, so their keys do not change."""
    channel = document.find(b"<channel")
    found = _CHANNEL_LINK.search(document, max(channel, 0))
    if found is None:
        return document
    link = html.unescape(found.group(1).decode("utf-8", "replace")).strip()
    base = feed_urljoin(address, link)
    if not base.startswith(("http://", "https://")):
        return document
    attribute = html.escape(base, quote=True).encode("utf-8")
    return document.replace(b"<link>", b'<link xml:base="' + attribute + b'">')


def _utf8_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers, with the charset rewritten: the body is now UTF-8."""
    adjusted = dict(headers)
    content_type = adjusted.get("content-type")
    if content_type:
        mime = content_type.split(";", 1)[0].strip()
        adjusted["content-type"] = f"{mime}; charset=utf-8"
    return adjusted


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _field(mapping: Any, key: str) -> Any:
    # Plain dict access: FeedParserDict's own lookups alias some keys and warn.
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def _raw_entry(entry: Mapping[str, Any], budget: FallbackBudget) -> RawEntry:
    summary = _text(_field(entry, "summary"))
    if not summary:
        content = _field(entry, "content") or ()
        summary = _text(_field(content[0], "value")) if content else None
    guid = _text(_field(entry, "id")) or None
    # FeedBurner's tracking link hides the article's own, in feedburner:origLink.
    link = _text(_field(entry, "feedburner_origlink") or _field(entry, "link")) or None
    date_text = _text(_field(entry, "published") or _field(entry, "updated"))
    title_detail = _field(entry, "title_detail") or {}
    return RawEntry(
        guid=guid,
        link=link,
        title=defuse_text_refs(_text(_field(entry, "title")) or ""),
        summary_html=defuse_text_refs(summary or ""),
        published=parse_date(date_text, budget),
        published_text=date_text,
        title_is_html=_field(title_detail, "type") != "text/plain",
    )
