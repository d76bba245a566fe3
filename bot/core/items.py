"""Feeds and their items: what a parser reads, what the bot stores."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One entry as the parser read it, before normalisation.

    ``published`` is the parser's best reading of the entry's date (aware UTC) or
    None; ``published_text`` is the date string exactly as the feed gave it.
    ``title_is_html`` is False when the feed declared (or plainly wrote) the
    title as plain text: then ``<int>`` in it is text, not a tag.
    ``known``: read as its guid alone, because the caller said its key was
    known already (``FeedParser.parse``'s ``known``): only its key may be
    taken from it, never its text.
    """

    guid: str | None
    link: str | None
    title: str
    summary_html: str
    published: datetime | None
    published_text: str | None = None
    title_is_html: bool = True
    known: bool = False


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[RawEntry, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """A normalised item of one feed.

    ``key`` is stable across polls (guid → canonical link → hash of title+date) and
    unique within the feed. ``published`` is what ordering uses: the feed's date,
    or ``first_seen`` when the feed gave none or a future one (``published_text``
    keeps the original; ``date_was_replaced`` is set, stored with the item, and
    replies show "first seen …" rather than a day the outlet never gave).
    ``title`` and ``summary`` are plain text with no control characters; ``url``
    is canonical (no tracking parameters, no fragment).
    ``title_made`` is set when the feed gave no headline and ``title`` was made
    from the summary or the link (``bot.core.titles``): shown marked, never matched.
    """

    feed_id: int
    key: str
    guid: str | None
    url: str | None
    title: str
    summary: str
    published: datetime
    first_seen: datetime
    source: str
    published_text: str | None = None
    date_was_replaced: bool = False
    title_made: bool = False

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.summary}" if self.summary else self.title

    def __reduce__(self) -> tuple[type[Entry], tuple[Any, ...]]:
        # New entries come back from the parse workers by the ten thousand: one
        # constructor call each is half the cost of the dataclass's per-field
        # __setstate__ (and a third to pickle), in both processes.
        return Entry, _entry_fields(self)


_entry_fields = attrgetter(*(f.name for f in fields(Entry)))


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed as stored. ``status`` is ``new`` (never polled successfully), ``ok``,
    ``failing`` (last poll failed, backing off) or ``disabled`` (``error_code`` says
    why: ``gone``, ``too_many_failures``, ``removed`` …)."""

    id: int
    url: str
    name: str
    interval_seconds: int
    enabled: bool
    status: str
    failures: int = 0
    last_error: str | None = None
    error_code: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    backlog_done: bool = False
    origin: str = "file"
    tags: tuple[str, ...] = ()
    redirect_url: str | None = None
    redirect_count: int = 0
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = None
    last_success_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FeedSeed:
    """A feed to add: from ``feeds.yaml``, the CLI or chat."""

    url: str
    name: str
    interval_seconds: int
    tags: tuple[str, ...] = ()
