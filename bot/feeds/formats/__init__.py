"""The feed formats the bot reads: one module each, registered here.

A new format is a module in this package, a class with its ``media_types``,
a ``sniff`` and a ``parse`` (``bot.feeds.registry.FeedFormat``), and one line
in the list below. The fetcher's ``Accept`` header and the choice of reader
follow from the list; nothing else changes.
"""

from __future__ import annotations

from bot.feeds.formats.json_feed import JsonFeed
from bot.feeds.formats.rss_atom import RssAtom
from bot.feeds.parse_contract import MAX_DOCUMENT_BYTES
from bot.feeds.registry import FeedFormat, FormatRegistry


class FastFeedParser(FormatRegistry):
    """The bot's ``FeedParser``: every registered format, RSS and Atom read
    by feedparser-rs first. ``parse`` raises ``ParseError`` only; ``stats``
    counts which reader read each document (``fast``, ``fallback``, ``json``)."""

    def __init__(self, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> None:
        rss_atom = RssAtom()  # also the fallback: it reads what no sniff claims
        formats: list[FeedFormat] = [
            rss_atom,
            JsonFeed(),
        ]
        super().__init__(formats, fallback=rss_atom, max_bytes=max_bytes)
