"""A storyline's own phrases (cues, subjects, names) as patterns over clause text.

Pure. A phrase is matched as written, in the one normalised form
(:func:`bot.core.text.normalise_text`), with ``*`` for up to four words (up to
eight characters in scripts written without spaces) and word boundaries on the
sides written in a spaced script. Many phrases are found at once as
:class:`Phrases`: the first of them that matches at each place, as if each were
tried in turn.

Speed, with the same answers: a phrase is looked for by its words first (a
substring test, far faster than a pattern's search, and most clauses hold none
of a storyline's phrases), and phrases that share their boundaries share them
in the pattern (``(?<!x)(?:a|b)(?!x)`` rather than ``(?<!x)a(?!x)|(?<!x)b(?!x)``,
which matches the same, in the same order of preference, and compiles and
searches several times faster).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from bot.core.text import normalise_text, unspaced

# A letter of a spaced script (text is lower case by now). Written as a small
# class: one with the CJK ranges costs Python's compiler 20 ms per pattern.
_SPACED_LETTER = "[0-9a-z_\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]"
_NOT_AFTER_WORD = f"(?<!{_SPACED_LETTER})"
_NOT_BEFORE_WORD = f"(?!{_SPACED_LETTER})"
_GAP = r"(?:\S+ ){0,4}"

#: A phrase's pattern as its leading boundary, its body and its trailing boundary.
Parts = tuple[str, str, str]


class Phrases:
    """Several phrases found as one pattern, and for each the words a match of
    it cannot be without."""

    __slots__ = ("_needed", "pattern")

    def __init__(self, parts: Sequence[Parts], needed: Sequence[str]) -> None:
        self.pattern = re.compile(union(parts))
        self._needed = tuple(needed)

    def _may_be_in(self, plain: str) -> bool:
        return any(map(plain.__contains__, self._needed))

    def search(self, plain: str) -> re.Match[str] | None:
        """The first place one of the phrases stands in ``plain``."""
        return self.pattern.search(plain) if self._may_be_in(plain) else None

    def spans(self, plain: str) -> tuple[tuple[int, int], ...]:
        """Every place one of the phrases stands in ``plain`` (as ``finditer``)."""
        if not self._may_be_in(plain):
            return ()
        return tuple(m.span() for m in self.pattern.finditer(plain))


def union(parts: Sequence[Parts]) -> str:
    """One pattern matching what the first of ``parts`` to match would: next
    phrases with the same boundaries share them."""
    groups: list[tuple[str, list[str], str]] = []
    for head, body, tail in parts:
        if groups and groups[-1][0] == head and groups[-1][2] == tail:
            groups[-1][1].append(body)
        else:
            groups.append((head, [body], tail))
    return "|".join(f"(?:{head}(?:{'|'.join(bodies)}){tail})" for head, bodies, tail in groups)


def names_pattern(phrases: Sequence[str]) -> Phrases | None:
    """The phrases (those with words) as one :class:`Phrases`, if any."""
    found = [p for p in phrases if normalise_text(p).strip()]
    if not found:
        return None
    return Phrases([cue_parts(p) for p in found], [_needed(p) for p in found])


@lru_cache(maxsize=4096)
def subjects_pattern(subjects: tuple[str, ...]) -> Phrases | None:
    """The subjects, each in the singular or the plural, as one :class:`Phrases`."""
    if not subjects:
        return None
    # A subject's plural adds to its words: its own words stand in every match.
    return Phrases([_subject_parts(s) for s in subjects], [_needed(s) for s in subjects])


def find_cue(cue: str, plain: str) -> re.Match[str] | None:
    """The first place the phrase ``cue`` stands in the normalised ``plain``."""
    return cue_regex(cue).search(plain) if _needed(cue) in plain else None


class Cues:
    """A value's cues, in their order."""

    __slots__ = ("_needed",)

    def __init__(self, cues: Sequence[str]) -> None:
        self._needed = tuple((cue, _needed(cue)) for cue in cues)

    def found(self, plain: str) -> list[tuple[str, re.Match[str]]]:
        """Each cue that stands in ``plain``, in order, with its first place."""
        return [
            (cue, m)
            for cue, needed in self._needed
            if needed in plain and (m := cue_regex(cue).search(plain)) is not None
        ]


@lru_cache(maxsize=4096)
def cues_of(cues: tuple[str, ...]) -> Cues:
    """:class:`Cues` for a value's cues."""
    return Cues(cues)


@lru_cache(maxsize=4096)
def cue_regex(cue: str) -> re.Pattern[str]:
    """A storyline phrase as written (``*`` = up to four words), in the one
    normalised form (accents folded, so "désignation" meets "designation")."""
    return re.compile("".join(cue_parts(cue)))


@lru_cache(maxsize=4096)
def cue_parts(cue: str) -> Parts:
    """The pattern of :func:`cue_regex`, as its boundaries and its body."""
    words = [w for w in normalise_text(cue, keep_dashes=True).split(" ") if w]
    if "*" in words and any(unspaced(c) for c in cue):
        # Text without spaces: "*" is up to eight characters ("暂停*服务").
        pieces = " ".join(words).split("*")
        return "", ".{0,8}?".join(re.escape(p.strip()) for p in pieces if p.strip()), ""
    body = "".join(_GAP if w == "*" else re.escape(w) + " " for w in words).rstrip(" ")
    if body.endswith(_GAP):
        body = body[: -len(_GAP)].rstrip(" ")
    # Word boundaries for words of spaced scripts only: a Latin name written
    # against Chinese or Korean ("Pellora恢复服务", "Pellora는") is still the name.
    head = _NOT_AFTER_WORD if body[:1].isalnum() and not unspaced(body[:1]) else ""
    tail = _NOT_BEFORE_WORD if body[-1:] and not unspaced(body[-1:]) else ""
    return head, body, tail


def _subject_parts(subject: str) -> Parts:
    # A subject matches its plural too: "designation" in "both designations".
    head, body, tail = cue_parts(subject)
    if tail and subject[-1:].isalnum():
        body += "s?"
    return head, body, tail


@lru_cache(maxsize=4096)
def _needed(cue: str) -> str:
    """The longest run of words every match of the cue holds as written
    (between its stars, a cue is its words, spaced or not)."""
    words = " ".join(w for w in normalise_text(cue, keep_dashes=True).split(" ") if w)
    return max((piece.strip() for piece in words.split("*")), key=len)
