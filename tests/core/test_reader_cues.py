"""Storyline phrases found as one pattern (``bot.core.reader.cues``) find what
trying each phrase's own pattern in turn finds, at the same places."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config.storylines import load_storylines
from bot.core.reader.cues import (
    cue_parts,
    cue_regex,
    cues_of,
    find_cue,
    names_pattern,
    subjects_pattern,
)
from bot.core.text import normalise_text

ROOT = Path(__file__).resolve().parents[2]


def _phrase_lists() -> list[tuple[str, ...]]:
    lists = []
    for directory in (ROOT / "storylines", ROOT / "tests" / "data" / "probes" / "storylines"):
        for storyline in load_storylines(directory):
            rules = storyline.match
            for group in (*rules.subjects, *rules.actors, *rules.exclude, *rules.topics):
                lists.append(tuple(group.phrases))
            for spec in storyline.facts:
                if spec.subject:
                    lists.append(tuple(spec.subject))
                lists.extend(tuple(v.cues) for v in spec.values if v.cues)
    return [p for p in lists if p]


PHRASES = _phrase_lists()
WORDS = sorted({w for ps in PHRASES for p in ps for w in normalise_text(p).split(" ") if w})


def _one_by_one(parts: list[tuple[str, str, str]]) -> re.Pattern[str]:
    """The reference: each phrase's whole pattern, tried in turn."""
    return re.compile("|".join(f"(?:{''.join(p)})" for p in parts))


def _plural(parts: tuple[str, str, str], subject: str) -> tuple[str, str, str]:
    head, body, tail = parts
    return (head, body + "s?", tail) if tail and subject[-1:].isalnum() else parts


_TEXT = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(WORDS).map(lambda w: w + "s"),
        st.sampled_from(["", " ", "-", "'s", "服务", "는", "é", "a", "2026", ".", "*"]),
    ),
    max_size=24,
).map(lambda ws: normalise_text(" ".join(ws), keep_dashes=True))


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(PHRASES) - 1), extra=_TEXT, data=st.data())
def test_phrases_find_what_each_phrase_in_turn_finds(
    index: int, extra: str, data: st.DataObject
) -> None:
    phrases = PHRASES[index]
    # Texts that hold the phrases themselves, beside and inside other words.
    picked = data.draw(st.lists(st.sampled_from(phrases), max_size=3))
    plain = normalise_text(" ".join([extra, *picked, extra[:7]]), keep_dashes=True)
    named = [p for p in phrases if normalise_text(p).strip()]
    names = names_pattern(phrases)
    want = [m.span() for m in _one_by_one([cue_parts(p) for p in named]).finditer(plain)]
    assert (names.spans(plain) if names else ()) == tuple(want)
    subjects = subjects_pattern(phrases)
    assert subjects is not None
    reference = _one_by_one([_plural(cue_parts(s), s) for s in phrases])
    assert subjects.spans(plain) == tuple(m.span() for m in reference.finditer(plain))
    found = subjects.search(plain)
    first = reference.search(plain)
    assert (found and found.span()) == (first and first.span())
    for cue in phrases:
        hit = find_cue(cue, plain)
        expected = cue_regex(cue).search(plain)
        assert (hit and hit.span()) == (expected and expected.span())
    every = [(c, m.span()) for c in phrases if (m := cue_regex(c).search(plain))]
    assert [(c, m.span()) for c, m in cues_of(phrases).found(plain)] == every


def test_phrases_that_share_their_boundaries_share_them_in_the_pattern() -> None:
    subjects = subjects_pattern(("ban", "designation", "供应链风险"))
    assert subjects is not None
    assert subjects.pattern.pattern.count("(?<!") == 1
    assert subjects.spans("both designations and the ban, 供应链风险") == (
        (5, 17),
        (26, 29),
        (31, 36),
    )
