"""The shared text rules (bot.core.text)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import fold

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
