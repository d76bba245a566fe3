"""Misspellings of the storylines' fuzzy phrases. Pure.

A word of five letters or more that is not already known vocabulary is
compared (``rapidfuzz`` ratio) with the single-word phrases of groups marked
``fuzzy``; a close enough word with the same first letter ("Antropic",
"Ministrys") is a misspelling of it. Words recur, so the answer for each word
is memoised (bounded).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from rapidfuzz import fuzz, process

#: rapidfuzz ratio (0–100) a word needs to count as a misspelling of a term.
FUZZY_CUTOFF = 88.0
FUZZY_MIN_LENGTH = 5
_CACHE_LIMIT = 50_000
#: The words of a (normalised) text that may be misspellings: five letters or more.
WORD = re.compile(r"[a-z][a-z']{3,}[a-z]")
_MISSING: Any = object()


class Misspelling(NamedTuple):
    key: str  # the fuzzy phrase (normalised)
    similarity: float  # the ratio, rounded to a tenth
    found_as: str  # the word as compared (without a possessive 's or quotes)


class FuzzyWords:
    """The fuzzy phrases ``choices`` and the words that are no misspelling
    because they are ``known`` vocabulary. Not thread-safe beyond what a dict
    is: the memo only ever holds answers, so sharing it is harmless."""

    def __init__(self, choices: Iterable[str], known: frozenset[str]) -> None:
        self._choices = sorted(choices)
        self._known = known
        self._longest = max(map(len, self._choices), default=0)
        self._by_length: dict[int, list[str]] = {}
        self._by_letter: dict[tuple[str, int], list[str]] = {}
        self._memo: dict[str, Misspelling | None] = {}
        #: The words the memo answers None for: most words of an item are.
        self.misses: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self._choices)

    def closest(self, raw: str) -> Misspelling | None:
        """The fuzzy phrase ``raw`` (a word of normalised text) is a
        misspelling of; None for known words and misses."""
        best = self._memo.get(raw, _MISSING)
        if best is _MISSING:
            best = self._look_up(raw)
        return best  # type: ignore[no-any-return]

    def _look_up(self, raw: str) -> Misspelling | None:
        word = raw.removesuffix("'s").strip("'")
        result: Misspelling | None = None
        if len(word) >= FUZZY_MIN_LENGTH and word not in self._known:
            # Misspellings rarely change the first letter; requiring it avoids
            # accidents between ordinary words. The answer is the closest
            # phrase when that one starts with the same letter, so when no
            # such phrase is close enough there is none: that is most words,
            # and they are told among a few phrases, not all.
            same, fitting = self._choices_of(word)
            if _closest(word, same) is not None:
                found = _closest(word, fitting)
                if found is not None and found[0][0] == word[0]:
                    result = Misspelling(found[0], round(float(found[1]), 1), word)
        if len(self._memo) >= _CACHE_LIMIT:
            self._memo.clear()
            self.misses.clear()
        self._memo[raw] = result
        if result is None:
            self.misses.add(raw)
        return result

    def _choices_of(self, word: str) -> tuple[list[str], list[str]]:
        """The phrases ``word`` could reach the cutoff with (in their order),
        those with its first letter and all: a ratio is at most
        200 * shorter / (sum of the lengths), so the others cannot be the
        answer (a point of slack keeps rounding out of it)."""
        length = len(word)
        if length > 2 * self._longest:
            return [], []
        fitting = self._by_length.get(length)
        if fitting is None:
            fitting = [
                c
                for c in self._choices
                if 200.0 * min(length, len(c)) / (length + len(c)) >= FUZZY_CUTOFF - 1.0
            ]
            self._by_length[length] = fitting
        key = (word[0], length)
        same = self._by_letter.get(key)
        if same is None:
            same = [c for c in fitting if c[0] == word[0]]
            self._by_letter[key] = same
        return same, fitting


def _closest(word: str, choices: list[str]) -> tuple[str, float, int] | None:
    """The first of ``choices`` most like ``word``, if it reaches the cutoff."""
    if not choices:
        return None
    found: tuple[str, float, int] | None = process.extractOne(
        word, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
    )
    return found
