"""Is this the same story another outlet already reported?

Pure. Two entries are the same story when they share a canonical URL and
title (at any age: a feed re-publishing an article under a new guid), or were
published within a window (default 36 hours) of each other and either share a
canonical URL, or carry
near-identical headlines: rapidfuzz ``token_set_ratio`` ≥ :data:`TITLE_SIMILARITY`
on normalised titles, with the same numbers in both. Requiring the same
numbers keeps apart different events of one storyline that are written alike
("Fable 5 returns for 100 organisations" vs "Fable 5 returns July 1"; "18-day"
vs "15-day"), and short headlines need an exact match because a few shared
words say little.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache

from rapidfuzz import fuzz

from bot.core.models import Entry

DEFAULT_WINDOW = timedelta(hours=36)
TITLE_SIMILARITY = 90.0
MIN_TITLE_WORDS = 5

_NON_WORD = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")
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
    text = _SPACES.sub(" ", _NON_WORD.sub(" ", title.lower().replace("’", "'"))).strip()
    return " ".join(w for w in text.split(" ") if w not in _STOP)


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
    return fuzz.token_sort_ratio(ta, tb) >= TITLE_SIMILARITY - 15


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
