"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read with the
standard library: a few fields, and no parser quirks to undo (feedparser-rs
drops numeric ids, which real feeds use; feedparser reads no JSON Feed)."""

from __future__ import annotations

import html
import json
from collections.abc import Collection, Mapping
from typing import Any

from bot.core.items import ParsedFeed, RawEntry
from bot.errors import ErrorCode, ParseError
from bot.feeds.dates import FallbackBudget, parse_date
from bot.feeds.parse_contract import printable
from bot.feeds.raw_entries import defuse_text_refs, feed_urljoin
from bot.feeds.registry import MediaType


class JsonFeed:
    """JSON Feed. ``stats`` counts the documents it was given (``json``)."""

    media_types = (MediaType("application/feed+json"), MediaType("application/json", 0.8))

    def __init__(self) -> None:
        self.stats: dict[str, int] = {"json": 0}

    def sniff(self, start: bytes) -> bool:
        # An object, or (to say what is wrong with it) any other JSON document.
        return start[:1] in (b"{", b"[")

    def parse(
        self, body: bytes, headers: Mapping[str, str], known: Collection[str] = ()
    ) -> ParsedFeed:
        # Every entry read in full, ``known`` or not: JSON is read whole anyway.
        self.stats["json"] += 1
        return _json_feed(body, headers.get("content-location") or "")


def _json_feed(document: bytes, address: str) -> ParsedFeed:
    """The feed ``document`` holds, links resolved against ``address``.
    ``content_text`` is escaped, so the HTML-to-text step gives it back unchanged."""
    try:
        data = json.loads(document.decode("utf-8-sig"))  # JSON is UTF-8 (RFC 8259)
    except (ValueError, RecursionError) as error:
        detail = printable(str(error))
        raise ParseError(f"this is not valid JSON ({detail})", code=ErrorCode.NOT_A_FEED) from None
    if not isinstance(data, dict):
        raise ParseError("this is JSON, but not a JSON Feed", code=ErrorCode.NOT_A_FEED)
    version, items = data.get("version"), data.get("items")
    if version is None and isinstance(items, list):
        # Some generators leave the version out; items with ids or URLs still
        # make it a feed (not any JSON answer that has "items").
        if not any(isinstance(i, dict) and ("id" in i or "url" in i) for i in items):
            raise ParseError("this is JSON, but not a JSON Feed", code=ErrorCode.NOT_A_FEED)
    elif not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        raise ParseError("this is JSON, but not a JSON Feed", code=ErrorCode.NOT_A_FEED)
    if not isinstance(items, list):
        raise ParseError("this JSON Feed has no list of items", code=ErrorCode.NOT_A_FEED)
    home = _json_text(data.get("home_page_url"))
    budget = FallbackBudget()
    entries = tuple(_json_entry(item, address, budget) for item in items if isinstance(item, dict))
    return ParsedFeed(title=_json_text(data.get("title")), link=home or None, entries=entries)


def _json_entry(item: dict[str, Any], address: str, budget: FallbackBudget) -> RawEntry:
    raw_id = item.get("id")
    guid = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else ""
    link = _json_text(item.get("url")) or _json_text(item.get("external_url"))
    summary = _json_text(item.get("content_html"))
    if not summary:
        text = _json_text(item.get("content_text")) or _json_text(item.get("summary"))
        summary = html.escape(text, quote=False)
    date_text = _json_text(item.get("date_published")) or _json_text(item.get("date_modified"))
    return RawEntry(
        guid=guid.strip() or None,
        link=feed_urljoin(address, link) if link else None,
        title=defuse_text_refs(_json_text(item.get("title"))),
        summary_html=defuse_text_refs(summary),
        published=parse_date(date_text, budget),
        published_text=date_text or None,
        title_is_html=False,  # JSON Feed titles are plain text
    )


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else ""
