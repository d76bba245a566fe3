"""Storyline ``patterns`` (the regular expressions of integer and text facts),
compiled with the ``regex`` engine and searched under a time limit.

A storyline file is written by people, not by us, and feed text is written by
anyone: a pattern with nested quantifiers such as ``(a|aa)+b`` backtracks
exponentially on a long run of ``a``. Python's ``re`` has no way to stop such a
search, so a single item would hang the poll cycle (and, never committed, every
later one). ``regex`` recognises the simplest nested repeats and searches them in
linear time, and for the rest honours a ``timeout``: a search that runs past it
raises :class:`PatternTimeout`, which the decider turns into "this pattern is
skipped for this item" (see ``bot.core.decide``).
"""

from __future__ import annotations

from functools import lru_cache

import regex

#: Seconds one search of one pattern over one clause may take. Real patterns
#: take microseconds; a tenth of a second is far beyond any honest match.
PATTERN_TIMEOUT = 0.1


class PatternTimeout(Exception):
    """A storyline pattern ran past its time limit on one text: a signal the
    decider catches, never an error shown to users."""

    def __init__(self, pattern: str, timeout: float) -> None:
        super().__init__(f"pattern {pattern!r} ran longer than {timeout:g} s")
        self.pattern = pattern
        self.timeout = timeout


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """The pattern compiled case-insensitively; raises ``regex.error`` when invalid."""
    return regex.compile(pattern, regex.IGNORECASE)


def search(pattern: str, text: str, *, timeout: float = PATTERN_TIMEOUT) -> regex.Match[str] | None:
    """The first match of ``pattern`` in ``text``; raises :class:`PatternTimeout`
    when the search takes longer than ``timeout`` seconds."""
    try:
        return compile_pattern(pattern).search(text, timeout=timeout)
    except TimeoutError as exc:
        raise PatternTimeout(pattern, timeout) from exc
