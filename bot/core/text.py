"""Text rules used in more than one place, each defined once. Pure.

* :func:`fold` — the comparable form of a text for phrase and cue matching
  (lower case, straight quotes, dashes and slashes as spaces, single spaces),
  and :func:`fold_words` (:func:`ascii_fold_words` as bytes), its words;
* :func:`normalise_text` — that, after NFKC and with accents dropped from Latin,
  Greek and Cyrillic letters: the one form the matcher and the fact reader
  compare text in (:func:`drop_accents` keeps every character's position);
* :func:`unspaced` — scripts written without spaces between words;
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
import unicodedata
from functools import lru_cache

# Quotes become straight; dashes, slashes and underscores join words, so they become spaces.
_QUOTES = {"’": "'", "‘": "'", "“": '"', "”": '"'}
_HYPHENS = {"-": " ", "‐": " ", "‑": " ", "/": " "}
# Folded for phrase matching only: the fact extractor splits clauses at spaced
# dashes ("X said — Y") after folding, so it keeps these as they are.
_DASHES = {"`": "'", "–": " ", "—": " ", "_": " "}

# The foldings as replacements: str.translate with a dict looks every character
# up, several times slower than a few str.replace scans. One after another they
# fold as one translation would, since no replacement is itself replaced.
_FOLD_ALL = tuple((_QUOTES | _HYPHENS | _DASHES).items())
_FOLD_KEEP_DASHES = tuple((_QUOTES | _HYPHENS).items())
# ASCII text needs only the ASCII ones.
_ASCII_ALL = tuple((a, b) for a, b in _FOLD_ALL if a.isascii())
_ASCII_KEEP_DASHES = tuple((a, b) for a, b in _FOLD_KEEP_DASHES if a.isascii())
# fold() of ASCII as one byte translation: upper case to lower, the ASCII
# foldings, and the whitespace str.split() knows beyond bytes.split() (\x1c-\x1f)
# as spaces.
_ASCII_FOLD_BYTES = bytes.maketrans(
    bytes(range(65, 91)) + "".join(a for a, _ in _ASCII_ALL).encode() + b"\x1c\x1d\x1e\x1f",
    bytes(range(97, 123)) + "".join(b for _, b in _ASCII_ALL).encode() + b"    ",
)
# The Latin, Greek and Cyrillic letters drop_accents looks at.
_ACCENTED = re.compile("[\x80-\u052f]")
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
    return " ".join(fold_words(text, keep_dashes=keep_dashes))


def fold_words(text: str, *, keep_dashes: bool = False) -> list[str]:
    """The space-separated words of ``fold(text)``."""
    lower = text.lower()
    if lower.isascii():
        pairs = _ASCII_KEEP_DASHES if keep_dashes else _ASCII_ALL
    else:
        pairs = _FOLD_KEEP_DASHES if keep_dashes else _FOLD_ALL
    for a, b in pairs:
        if a in lower:
            lower = lower.replace(a, b)
    # str.split() and the regex \s agree on what whitespace is (both use
    # Py_UNICODE_ISSPACE); splitting is several times faster than a regex
    # substitution and a strip.
    return lower.split()


def ascii_fold_words(text: str) -> list[bytes]:
    """The words of ``fold(text)`` for ASCII ``text``, as bytes: the quickest
    form to fold and look up many short texts in."""
    return text.encode("ascii").translate(_ASCII_FOLD_BYTES).split()


def word_tokens(text: str) -> list[str]:
    """The lower-case runs of letters, digits and underscores of ``text``."""
    return _WORD_TOKEN.findall(text.lower())


def strip_controls(text: str, replacement: str = "") -> str:
    """``text`` with each control character (see :data:`CONTROL`) replaced."""
    return CONTROL.sub(replacement, text)


def normalise_text(text: str, *, keep_dashes: bool = False) -> str:
    """The folded form (:func:`fold`) after NFKC (full-width letters and digits
    become plain ones), with accents dropped from Latin, Greek and Cyrillic
    letters ("désignation" is "designation", "Ministério" "Ministerio"); marks on
    other scripts (Japanese dakuten) are kept."""
    if text.isascii():
        return fold(text, keep_dashes=keep_dashes)
    return drop_accents(fold(unicodedata.normalize("NFKC", text), keep_dashes=keep_dashes))


def drop_accents(text: str) -> str:
    """``text`` with the accents of Latin, Greek and Cyrillic letters dropped,
    one character for one, so positions in it are positions in ``text``."""
    if text.isascii():
        return text
    return _ACCENTED.sub(_base_of, text)


def _base_of(match: re.Match[str]) -> str:
    return _base(match.group())


@lru_cache(maxsize=2048)
def _base(char: str) -> str:
    letters = [c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)]
    return letters[0] if len(letters) == 1 else char


def unspaced(char: str) -> bool:
    """True for letters of scripts written without spaces between words (Chinese,
    Japanese kana, Thai, Lao, Khmer, Myanmar) and Korean Hangul (whose particles
    attach to the noun): a phrase next to one needs no word boundary."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF  # CJK radicals, kana, CJK ideographs (ext A), Hangul compat.
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0xFF66 <= code <= 0xFF9F  # half-width katakana
        or 0x0E00 <= code <= 0x0EFF  # Thai, Lao
        or 0x1000 <= code <= 0x109F  # Myanmar
        or 0x1780 <= code <= 0x17FF  # Khmer
        or 0x20000 <= code <= 0x3FFFF  # CJK extensions B–H
    )
