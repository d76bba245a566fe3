"""Feed formats registered with their media types: which reader reads a
document, and the ``Accept`` header the fetcher sends, both from one list
(``bot.feeds.formats`` holds it).

A document goes to the first format, in this order, that claims it:

1. a format registered for the response's ``Content-Type`` whose sniff agrees
   with the bytes;
2. any format whose sniff claims the bytes (registration order);
3. the fallback format, which reads what nobody claimed (as feedparser reads
   anything) and says what the document is when it is no feed.

The Content-Type decides only between formats the bytes allow: servers send
RSS as ``text/html`` or ``application/octet-stream`` often enough that a
label alone must not send a document to a reader that cannot read it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core.items import ParsedFeed
from bot.feeds.parse_contract import MAX_DOCUMENT_BYTES, check_size, parse_or_error

# Before the first byte a sniff looks at: a UTF-8 byte order mark and ASCII space.
_LEADING = re.compile(rb"(?:\xef\xbb\xbf)?\s*")
_SNIFF_BYTES = 64


@dataclass(frozen=True, slots=True)
class MediaType:
    """A media type a format is served as, and how much we prefer it (the
    ``Accept`` header's q-value)."""

    name: str
    q: float = 1.0

    def __str__(self) -> str:
        return self.name if self.q == 1 else f"{self.name};q={self.q:g}"


# What the fallback format is asked for: anything, below every named type.
ANYTHING = MediaType("*/*", 0.5)


class FeedFormat(Protocol):
    """One feed format's reader.

    ``media_types`` are the types it is served as; ``sniff(start)`` says
    whether a document whose first bytes (after a UTF-8 BOM and ASCII space)
    are ``start`` (up to 64 bytes) looks like this format, cheaply;
    ``parse(body, headers, known)`` reads a body within the size cap
    (``headers`` with lower-case names; ``known`` as ``FeedParser.parse``'s,
    which a format may ignore) and raises ``ParseError`` only. ``stats`` counts
    documents read, by which reader (the bench reads them). Instances must be
    picklable: the parse pool sends the parser to worker processes."""

    stats: dict[str, int]

    @property
    def media_types(self) -> tuple[MediaType, ...]: ...

    def sniff(self, start: bytes) -> bool: ...

    def parse(
        self, body: bytes, headers: Mapping[str, str], known: Collection[str] = ()
    ) -> ParsedFeed: ...


class FormatRegistry:
    """The ``FeedParser`` port over registered formats: the size cap, then the
    format chosen as the module docstring says. ``parse`` raises
    ``ParseError`` only."""

    def __init__(
        self,
        formats: Sequence[FeedFormat],
        *,
        fallback: FeedFormat,
        max_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        self.formats = tuple(formats)
        self.fallback = fallback
        self.max_bytes = max_bytes
        self._by_type = {media.name: f for f in reversed(self.formats) for media in f.media_types}

    @property
    def accept(self) -> str:
        """The ``Accept`` header: every registered media type, most preferred
        first (registration order among equals), then anything else."""
        types = [media for f in self.formats for media in f.media_types]
        ranked = sorted(dict.fromkeys([*types, ANYTHING]), key=lambda m: -m.q)
        return ", ".join(map(str, ranked))

    @property
    def stats(self) -> dict[str, int]:
        """Documents read so far, by reader, over all formats."""
        return {name: n for f in self.formats for name, n in f.stats.items()}

    def parse(
        self, body: bytes, headers: Mapping[str, str] | None = None, known: Collection[str] = ()
    ) -> ParsedFeed:
        return parse_or_error(functools.partial(self._parse, known=known), body, headers)

    def _parse(
        self, body: bytes, headers: Mapping[str, str] | None, known: Collection[str]
    ) -> ParsedFeed:
        check_size(body, self.max_bytes)
        lower = {k.lower(): v for k, v in (headers or {}).items()}
        return self.choose(body, lower.get("content-type", "")).parse(body, lower, known)

    def choose(self, body: bytes, content_type: str) -> FeedFormat:
        """The format that reads ``body`` served as ``content_type``."""
        at = _LEADING.match(body)
        begin = at.end() if at else 0
        start = body[begin : begin + _SNIFF_BYTES]
        claimed = [f for f in self.formats if f.sniff(start)]
        labelled = self._by_type.get(content_type.split(";", 1)[0].strip().lower())
        if labelled is not None and labelled in claimed:
            return labelled
        return claimed[0] if claimed else self.fallback
