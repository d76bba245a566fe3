"""Feed documents for tests and benchmarks: RSS 2.0 and Atom 1.0 built from
item dicts. Apart from the server (``tests.support.feedserver``), so what only
builds documents (the pipeline benchmark's measured process) does not load
aiohttp's web server."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from tests.support.clock import Ago


def _date_text(value: datetime | Ago | str | None, *, rfc822: bool) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Ago):
        value = value.resolve()
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return format_datetime(aware, usegmt=True) if rfc822 else aware.isoformat()


def rss(
    items: Sequence[Mapping[str, Any]],
    *,
    title: str = "Test feed",
    link: str = "https://news.example/",
    encoding: str = "utf-8",
) -> bytes:
    """An RSS 2.0 document. Item keys: ``guid``, ``link``, ``title``,
    ``summary`` (HTML, escaped into the description), ``published`` (datetime,
    ``ago(...)`` resolved now, raw string or None); missing keys are left out of the item."""
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>{escape(link)}</link>",
        "<description>Test feed</description>",
    ]
    for item in items:
        parts.append("<item>")
        if item.get("guid") is not None:
            parts.append(f'<guid isPermaLink="false">{escape(str(item["guid"]))}</guid>')
        for key, tag in (("title", "title"), ("link", "link"), ("summary", "description")):
            if item.get(key) is not None:
                parts.append(f"<{tag}>{escape(str(item[key]))}</{tag}>")
        published = _date_text(item.get("published"), rfc822=True)
        if published is not None:
            parts.append(f"<pubDate>{escape(published)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding)


def atom(
    items: Sequence[Mapping[str, Any]],
    *,
    title: str = "Test feed",
    link: str = "https://news.example/",
    feed_id: str = "urn:test:feed",
) -> bytes:
    """An Atom 1.0 document; item keys as for ``rss`` (``guid`` is the id)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title><id>{escape(feed_id)}</id>",
        f"<link href={quoteattr(link)}/>",
        "<updated>2024-01-01T00:00:00Z</updated>",
    ]
    for item in items:
        parts.append("<entry>")
        if item.get("guid") is not None:
            parts.append(f"<id>{escape(str(item['guid']))}</id>")
        if item.get("title") is not None:
            parts.append(f"<title>{escape(str(item['title']))}</title>")
        if item.get("link") is not None:
            parts.append(f'<link rel="alternate" href={quoteattr(str(item["link"]))}/>')
        if item.get("summary") is not None:
            parts.append(f'<summary type="html">{escape(str(item["summary"]))}</summary>')
        published = _date_text(item.get("published"), rfc822=False)
        if published is not None:
            parts.append(f"<published>{escape(published)}</published>")
            parts.append(f"<updated>{escape(published)}</updated>")
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(parts).encode("utf-8")
