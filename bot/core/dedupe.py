"""Is this the same story another outlet already reported?

Pure. Two entries are the same story when they share a canonical URL and
title (at any age: a feed re-publishing an article under a new guid), or were
published within a window (default 36 hours) of each other and either share a
canonical URL, or carry
near-identical headlines: rapidfuzz ``token_set_ratio`` ≥ :data:`TITLE_SIMILARITY`
on normalised titles, with the same numbers in both. Requiring the same
numbers keeps apart different events of one storyline that are written alike
("Widget 5 returns for 100 organisations" vs "Widget 5 returns July 1"; "18-day"
vs "15-day"), and short headlines need an exact match because a few shared
words say little.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.core.items import Entry
from bot.core.text import word_tokens

DEFAULT_WINDOW = timedelta(hours=36)
TITLE_SIMILARITY = 90.0
MIN_TITLE_WORDS = 5

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "as",
        "at",
        "by",
        "with",
        "from",
        "is",
        "are",
        "was",
        "be",
        "its",
        "it",
        "this",
        "that",
    ]
)


@lru_cache(maxsize=16384)
def normalise_title(title: str) -> str:
    """Lower case, punctuation removed, stop words dropped, single spaces."""
    return " ".join(w for w in word_tokens(title) if w not in _STOP)


def same_story(a: Entry, b: Entry, *, window: timedelta = DEFAULT_WINDOW) -> bool:
    """Whether ``a`` and ``b`` report the same story (see the module docstring)."""
    if a.url and a.url == b.url and normalise_title(a.title) == normalise_title(b.title):
        return True  # the same article re-published (a new guid), at any age
    if abs(a.published - b.published) > window:
        return False
    if a.url and b.url and a.url == b.url:
        return True
    ta, tb = normalise_title(a.title), normalise_title(b.title)
    if not ta or not tb:
        return False
    if set(_NUMBER.findall(ta)) != set(_NUMBER.findall(tb)):
        return False
    if min(len(ta.split(" ")), len(tb.split(" "))) < MIN_TITLE_WORDS:
        return ta == tb
    # token_set_ratio is 100 when one title's words are a subset of the other's;
    # also require similar length so a short generic headline does not swallow a long one.
    if fuzz.token_set_ratio(ta, tb) < TITLE_SIMILARITY:
        return False
    return fuzz.token_sort_ratio(ta, tb) >= SORTED_SIMILARITY


#: The second, length-aware test of :func:`same_story` (and :class:`StoryIndex`'s filter).
SORTED_SIMILARITY = TITLE_SIMILARITY - 15


def find_duplicate(
    entry: Entry, recent: Sequence[Entry], *, window: timedelta = DEFAULT_WINDOW
) -> Entry | None:
    """The earliest-published entry of ``recent`` (from another feed, or another
    item of the same feed) that is the same story as ``entry``, else None. The
    entry itself (same feed and key) is never its own duplicate."""
    best: Entry | None = None
    for other in recent:
        if other.feed_id == entry.feed_id and other.key == entry.key:
            continue
        if same_story(entry, other, window=window) and (
            best is None or other.published < best.published
        ):
            best = other
    return best


@dataclass(slots=True)
class _Bucket:
    """Entries whose titles carry one set of numbers, in publication order: three
    aligned lists, so a window of them is a slice (what rapidfuzz reads at C speed)."""

    times: list[tuple[datetime, int]] = field(default_factory=list)  # (published, added)
    words: list[str] = field(default_factory=list)  # titles' words sorted, as token_sort
    entries: list[Entry] = field(default_factory=list)


@lru_cache(maxsize=16384)
def _title_key(title: str) -> tuple[frozenset[str], str] | None:
    norm = normalise_title(title)
    if not norm:
        return None
    return frozenset(_NUMBER.findall(norm)), " ".join(sorted(norm.split(" ")))


class StoryIndex:
    """:func:`find_duplicate` over a growing set of entries, without comparing a
    new entry with every entry already seen.

    ``find(e)`` returns exactly what ``find_duplicate(e, added)`` returns, where
    ``added`` is every entry added so far, in the order added. Only candidates
    that can pass :func:`same_story` are compared with it: entries with the same
    canonical URL, and entries published within the window whose titles carry the
    same numbers and whose sorted words are similar enough (``token_sort_ratio`` ≥
    :data:`SORTED_SIMILARITY`, a test ``same_story`` makes too), found by
    rapidfuzz in one native call per entry."""

    def __init__(
        self, entries: Iterable[Entry] = (), *, window: timedelta = DEFAULT_WINDOW
    ) -> None:
        self.window = window
        self._by_url: dict[str, list[tuple[int, Entry]]] = defaultdict(list)
        self._buckets: dict[frozenset[str], _Bucket] = defaultdict(_Bucket)
        self._added = 0
        for entry in entries:
            self.add(entry)

    def add(self, entry: Entry) -> None:
        self._added += 1
        n = self._added
        if entry.url:
            self._by_url[entry.url].append((n, entry))
        key = _title_key(entry.title)
        if key is not None:
            bucket = self._buckets[key[0]]
            at = bisect_right(bucket.times, (entry.published, n))
            bucket.times.insert(at, (entry.published, n))
            bucket.words.insert(at, key[1])
            bucket.entries.insert(at, entry)

    def find(self, entry: Entry) -> Entry | None:
        candidates: dict[int, Entry] = dict(self._by_url.get(entry.url, ())) if entry.url else {}
        key = _title_key(entry.title)
        bucket = self._buckets.get(key[0]) if key else None
        if key and bucket:
            lo = bisect_left(bucket.times, (entry.published - self.window, 0))
            hi = bisect_right(bucket.times, (entry.published + self.window, self._added + 1))
            similar = process.extract(
                key[1],
                bucket.words[lo:hi],
                scorer=fuzz.ratio,
                score_cutoff=SORTED_SIMILARITY,
                limit=None,
            )
            for _, _, index in similar:
                candidates[bucket.times[lo + index][1]] = bucket.entries[lo + index]
        # In the order added, so ties on the publication time break as find_duplicate's do.
        ordered = [candidates[n] for n in sorted(candidates)]
        return find_duplicate(entry, ordered, window=self.window)
