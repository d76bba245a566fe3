"""The phrases a word may start are tried in the lexicon's order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.reader.phrases import _Entry, _FirstWords

_HEADS = ["può", "potere", "potrebbe", "non"]


@given(st.lists(st.sampled_from(_HEADS), min_size=1, max_size=8), st.sets(st.sampled_from(_HEADS)))
def test_phrases_a_word_starts_come_in_lexicon_order(heads: list[str], forms: set[str]) -> None:
    # The order of a set's items varies with the hash seed; the cues a reading
    # names follow the order phrases are found in, so it must not.
    entries = [_Entry((head, "x"), "hedge", n, f"{head} x") for n, head in enumerate(heads)]
    index = _FirstWords(entries, None)
    assert list(index.starting(frozenset(forms))) == [e for e in entries if e.words[0] in forms]
