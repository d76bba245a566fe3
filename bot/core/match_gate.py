"""A quick test that an item can name no storyline. Pure.

Most items are about something else. The matcher names a storyline only when
the item holds one of its actor or subject phrases (exactly, on word
boundaries) or a misspelling of one of its fuzzy phrases; this gate rules
both out from the item's words, so such items skip the scan.

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

from bot.core.match_fuzzy import WORD, FuzzyWords
from bot.core.text import fold_words, normalise_text

_CACHE_LIMIT = 50_000
_ALNUM_RUN = re.compile(r"[0-9A-Za-z]+")


class WordGate:
    """Built from the normalised ``anchors`` (the phrases that name a
    storyline) and the storylines' ``fuzzy`` words."""

    def __init__(self, anchors: Iterable[str], fuzzy: FuzzyWords) -> None:
        self._runs = _longest_runs(anchors)
        self._fuzzy = fuzzy
        self._memo: dict[str, bool] = {}
        self._clean: set[str] = set()  # the words the memo answers True for

    def names_nothing(self, title: str, summary: str) -> bool:
        """True when an item with this ``title`` and ``summary`` (as the entry
        has them) cannot name a storyline; False when it may."""
        if self._runs is None:
            return False
        text = f"{title}\n{summary}"
        # ASCII is normalised character by character (folded), so the joined
        # text has the words of both; other text is normalised field by field.
        words = (
            fold_words(text)
            if text.isascii()
            else normalise_text(title).split() + normalise_text(summary).split()
        )
        if self._clean.issuperset(words):
            return True
        memo = self._memo
        for word in words:
            clean = memo.get(word)
            if clean is None:
                clean = self._is_clean(word)
            if not clean:
                return False
        return True

    def _is_clean(self, word: str) -> bool:
        """Whether ``word`` (normalised) is ASCII and holds neither the longest
        run of an anchor phrase nor a misspelling; memoised."""
        assert self._runs is not None
        clean = word.isascii() and self._runs.isdisjoint(_ALNUM_RUN.findall(word))
        if clean and self._fuzzy:
            clean = all(self._fuzzy.closest(part) is None for part in WORD.findall(word))
        if len(self._memo) >= _CACHE_LIMIT:
            self._memo.clear()
            self._clean.clear()
        self._memo[word] = clean
        if clean:
            self._clean.add(word)
        return clean


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
