"""The shared text rules (bot.core.text)."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import ascii_fold_words, drop_accents, fold, fold_words

# fold() collapses whitespace by splitting and joining; this is the rule it
# replaced, a regex substitution and a strip, kept here as the reference.
_SPACES = re.compile(r"\s+")
_SPACE_LIKE = st.sampled_from(
    [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u3000"]
)
_TEXT = st.lists(st.one_of(st.characters(), _SPACE_LIKE, st.sampled_from("-–—/_’`a"))).map("".join)


@given(_TEXT)
def test_splitting_and_joining_collapses_whitespace_as_the_regex_does(text: str) -> None:
    assert " ".join(text.split()) == _SPACES.sub(" ", text).strip()


@given(_TEXT, st.booleans())
def test_folded_text_has_single_spaces_only(text: str, keep_dashes: bool) -> None:
    folded = fold(text, keep_dashes=keep_dashes)
    assert folded == _SPACES.sub(" ", folded).strip()


def test_fold() -> None:
    assert fold("  Anthropic’s\u00a0supply-chain\t\n RISK — ruling ") == (
        "anthropic's supply chain risk ruling"
    )
    assert fold("a — b", keep_dashes=True) == "a — b"


# The rules fold() and drop_accents() replaced (one str.translate, a character
# loop), kept here as the reference they must agree with.
_TRANSLATE_ALL = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "-": " ", "‐": " ", "‑": " ", "/": " "}
    | {"`": "'", "–": " ", "—": " ", "_": " "}
)
_TRANSLATE_KEEP_DASHES = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "-": " ", "‐": " ", "‑": " ", "/": " "}
)
_UNICODE_TEXT = st.lists(
    st.one_of(st.characters(), _SPACE_LIKE, st.sampled_from("-‐‑–—/_’‘“”`éÅçøΆйЁ"))
).map("".join)


@given(_UNICODE_TEXT, st.booleans())
def test_fold_is_one_translation(text: str, keep_dashes: bool) -> None:
    table = _TRANSLATE_KEEP_DASHES if keep_dashes else _TRANSLATE_ALL
    assert fold(text, keep_dashes=keep_dashes) == " ".join(text.lower().translate(table).split())
    assert fold_words(text, keep_dashes=keep_dashes) == fold(text, keep_dashes=keep_dashes).split()


@given(_UNICODE_TEXT)
def test_drop_accents_maps_character_by_character(text: str) -> None:
    def base(char: str) -> str:
        letters = [c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)]
        return letters[0] if len(letters) == 1 else char

    expected = "".join(base(c) if "\x7f" < c < "\u0530" else c for c in text)
    assert drop_accents(text) == expected


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fold_words_are_the_words_of_fold(text: str) -> None:
    assert [w.decode() for w in ascii_fold_words(text)] == fold_words(text)
