"""Text rules used in more than one place, each defined once. Pure.

* :func:`fold` — the comparable form of a text for phrase and cue matching
  (lower case, straight quotes, dashes and slashes as spaces, single spaces);
* :func:`word_tokens` — the words of a headline for "same story" comparison;
* :data:`CONTROL` / :func:`strip_controls` — control characters, which have no
  business in anything shown to a person (tab and newline are kept);
* :data:`UNWANTED` — those plus invisible characters that reorder or break
  what is shown (bidi overrides and isolates, zero-width characters,
  line/paragraph separators),
  noncharacters and lone surrogates: removed from feed text;
* :data:`HUGE_CHARREF` — a numeric character reference too long to be a
  character (decoders raise on it).
"""

from __future__ import annotations

import re

# Quotes become straight; dashes, slashes and underscores join words, so they become spaces.
_QUOTES = {"’": "'", "‘": "'", "“": '"', "”": '"'}
_HYPHENS = {"-": " ", "‐": " ", "‑": " ", "/": " "}
# Folded for phrase matching only: the fact extractor splits clauses at spaced
# dashes ("X said — Y") after folding, so it keeps these as they are.
_DASHES = {"`": "'", "–": " ", "—": " ", "_": " "}

_FOLD_ALL = str.maketrans(_QUOTES | _HYPHENS | _DASHES)
_FOLD_KEEP_DASHES = str.maketrans(_QUOTES | _HYPHENS)
_SPACES = re.compile(r"\s+")
_WORD_TOKEN = re.compile(r"\w+")

#: C0 and C1 control characters and DEL; tab (\x09) and newline (\x0a) are kept.
CONTROL_CHARACTERS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
# Zero-width characters (\u200b-\u200f, \u2060-\u2064, \ufeff, soft hyphen) too:
# inside a word they make "Anth\u200bropic" miss every phrase that names it.
UNWANTED = re.compile(
    f"[{CONTROL_CHARACTERS}\u202a-\u202e\u2066-\u2069\u2028\u2029"
    "\u00ad\u200b-\u200f\u2060-\u2064\ufeff"
    "\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
)
HUGE_CHARREF = re.compile(r"&#(?:[xX]0*[0-9a-fA-F]{7,}|0*[0-9]{8,});?")


def fold(text: str, *, keep_dashes: bool = False) -> str:
    """Lower case, curly quotes straight, hyphens and slashes as spaces, single
    spaces; unless ``keep_dashes``, also en/em dashes and underscores as spaces
    and the backtick as an apostrophe."""
    table = _FOLD_KEEP_DASHES if keep_dashes else _FOLD_ALL
    return _SPACES.sub(" ", text.lower().translate(table)).strip()


def word_tokens(text: str) -> list[str]:
    """The lower-case runs of letters, digits and underscores of ``text``."""
    return _WORD_TOKEN.findall(text.lower())


def strip_controls(text: str, replacement: str = "") -> str:
    """``text`` with each control character (see :data:`CONTROL`) replaced."""
    return CONTROL.sub(replacement, text)
