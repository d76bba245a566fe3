"""The matcher's shortcuts give what the plain scan gives: the word gate (an item
that can name no storyline skips the scan) and the fuzzy look-up among the
phrases of a fitting length only."""

from __future__ import annotations

import dataclasses
from unittest.mock import patch

from hypothesis import example, given
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from bot.core.match import Matcher
from bot.core.match_fuzzy import FUZZY_CUTOFF, FuzzyWords, Misspelling
from bot.core.match_gate import Screen, WordGate
from bot.core.storyline import Storyline, TermGroup
from tests.core.builders import entry, storyline


def _storylines() -> list[Storyline]:
    plain = storyline()
    rich = dataclasses.replace(
        plain,
        id="lab-label",
        match=dataclasses.replace(
            plain.match,
            actors=(TermGroup("lab", ("Anthropic", "アクメ", "Mythos 5")),),
            subjects=(TermGroup("label", ("supply chain risk", "designation", "10 USC 3252")),),
            parties=(TermGroup("court", ("D.C. Circuit", "Judge Rita Lin"), False),),
            topics=(TermGroup("ban", ("blacklist", "injunction")),),
        ),
    )
    return [plain, rich]


_PHRASES = [p for s in _storylines() for g in s.match.actors + s.match.subjects for p in g.phrases]
_OTHER = ["the", "court", "Officials", "said", "budget", "item 10.", "(0-49)", "USC", "chain"]


def _typo(word: str, where: int) -> str:
    i = where % max(len(word) - 1, 1)
    return word[:i] + word[i + 1 :]


_PIECE = st.one_of(
    st.sampled_from(_PHRASES + _OTHER),
    st.builds(_typo, st.sampled_from(_PHRASES), st.integers(0, 20)),
    st.sampled_from(_PHRASES).map(str.upper),
    st.sampled_from(_PHRASES).map(lambda p: f"x{p}'s"),
    st.text(max_size=6),
)
_SEPARATOR = st.sampled_from([" ", "", "-", "’", "\n", "社", ", ", "\u00a0", "é "])
_TEXT = st.lists(st.tuples(_PIECE, _SEPARATOR), max_size=8).map(
    lambda parts: "".join(a + b for a, b in parts)
)


@given(_TEXT, _TEXT)
@example("Antropic appeals", "")
@example("Officials: the designation", "")
def test_the_word_gate_changes_no_result(title: str, summary: str) -> None:
    item = entry(title, summary)
    with patch.object(WordGate, "screen", return_value=Screen.ANY):
        reference = Matcher(_storylines()).match(item)
    assert Matcher(_storylines()).match(item) == reference


def test_the_word_gate_passes_everyday_items_and_stops_named_ones() -> None:
    screen = Matcher(_storylines())._gate.screen
    assert screen("School board reviews budget plan", "Officials said (0-49).") == Screen.NOTHING
    assert screen("Café owners’ meeting — again", "") == Screen.NOTHING
    assert screen("Budget plan", "Anthropic's lawyers said") == Screen.NO_MISSPELLING
    assert screen("Antropic appeals", "") == Screen.ANY  # a misspelling
    assert screen("アクメ", "") == Screen.ANY  # not ASCII: the gate cannot tell


_CHOICES = ["anthropic", "ministry", "designation", "blacklist", "pentagon", "acmelabs"]
_KNOWN = frozenset(["anthropic", "ministry", "labs"])


def _reference(raw: str) -> Misspelling | None:
    word = raw.removesuffix("'s").strip("'")
    if len(word) < 5 or word in _KNOWN:
        return None
    found = process.extractOne(word, sorted(_CHOICES), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    if found is None or found[0][0] != word[0]:
        return None
    return Misspelling(found[0], round(float(found[1]), 1), word)


_WORDS = st.one_of(
    st.builds(_typo, st.sampled_from(_CHOICES), st.integers(0, 20)),
    st.sampled_from(_CHOICES).map(lambda c: c + "s"),
    st.sampled_from(_CHOICES).map(lambda c: c[:-2]),
    st.text(alphabet="abcdeilmnoprst'", min_size=1, max_size=24),
)


@given(st.lists(_WORDS, max_size=20))
def test_fuzzy_look_up_among_fitting_lengths_finds_what_all_choices_find(
    words: list[str],
) -> None:
    fuzzy = FuzzyWords(_CHOICES, _KNOWN)
    for word in words:
        assert fuzzy.closest(word) == _reference(word)
