"""A quick test that an item can name no storyline. Pure.

Most items are about something else. The matcher names a storyline only when
the item holds one of its actor or subject phrases (exactly, on word
boundaries) or a misspelling of one of its fuzzy phrases; this gate rules
both out from the item's words, so such items skip the scan. Of the others it
tells those without a misspelling, which skip the fuzzy look-up.

Why it is safe: when the normalised text is ASCII, a phrase counts only on word
boundaries, so each run of letters and digits in the phrase is a whole run of
the text, inside one space-separated word; a misspelling is inside one word
too. So a word that holds no phrase's longest run (the most telling: "3252"
of "10 USC 3252", not "10") and no misspelling cannot be part of a hit, and an
item of such words names nothing. Whether a word is clean is memoised
(bounded): words recur.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import IntEnum

from bot.core.match_fuzzy import WORD, FuzzyWords
from bot.core.text import ascii_fold_words, normalise_text

_CACHE_LIMIT = 50_000
_ALNUM_RUN = re.compile(r"[0-9A-Za-z]+")


class Screen(IntEnum):
    """What an item's words allow."""

    NOTHING = 0  # it can name no storyline
    NO_MISSPELLING = 1  # it may, but holds no misspelling: no fuzzy look-up needed
    ANY = 2  # it may, in any way


class WordGate:
    """Built from the normalised ``anchors`` (the phrases that name a
    storyline) and the storylines' ``fuzzy`` words."""

    def __init__(self, anchors: Iterable[str], fuzzy: FuzzyWords) -> None:
        self._runs = _longest_runs(anchors)
        self._fuzzy = fuzzy
        # Words as bytes (ASCII): folded and looked up faster than str. The
        # memo holds whether a word is clean (no anchor run, no misspelling);
        # the sets hold the words it answers yes for.
        self._memo: dict[bytes, bool] = {}
        self._clean: set[bytes] = set()
        self._spelled: set[bytes] = set()  # the words without a misspelling

    def screen(self, title: str, summary: str) -> Screen:
        """What an item with this ``title`` and ``summary`` (as the entry has
        them) may do."""
        if self._runs is None:
            return Screen.ANY
        # ASCII is normalised character by character (folded), so the joined
        # text has the words of both; other text is normalised field by field
        # (and folding it again changes nothing).
        text = f"{title}\n{summary}"
        if not text.isascii():
            text = f"{normalise_text(title)}\n{normalise_text(summary)}"
            if not text.isascii():
                return Screen.ANY
        words = ascii_fold_words(text)
        if self._clean.issuperset(words):
            return Screen.NOTHING
        memo = self._memo
        for word in words:
            if word not in memo:
                self._learn(word)
        # (A memo cleared meanwhile only makes the answer more cautious.)
        if self._clean.issuperset(words):
            return Screen.NOTHING
        return Screen.NO_MISSPELLING if self._spelled.issuperset(words) else Screen.ANY

    def _learn(self, word: bytes) -> None:
        """Whether ``word`` (normalised) holds the longest run of an anchor
        phrase, and whether it holds a misspelling, into the memo."""
        assert self._runs is not None
        text = word.decode("ascii")
        spelled = not self._fuzzy or all(
            self._fuzzy.closest(part) is None for part in WORD.findall(text)
        )
        clean = spelled and self._runs.isdisjoint(_ALNUM_RUN.findall(text))
        if len(self._memo) >= _CACHE_LIMIT:
            self._memo.clear()
            self._clean.clear()
            self._spelled.clear()
        self._memo[word] = clean
        if clean:
            self._clean.add(word)
        if spelled:
            self._spelled.add(word)


def _longest_runs(phrases: Iterable[str]) -> frozenset[str] | None:
    """The longest run of ASCII letters and digits of each phrase that could be
    found in ASCII text; None when one has no such run (the gate cannot tell)."""
    runs: set[str] = set()
    for phrase in phrases:
        if not phrase.isascii():
            continue  # never inside ASCII text
        found = _ALNUM_RUN.findall(phrase)
        if not found:
            return None
        runs.add(max(found, key=len))
    return frozenset(runs)
