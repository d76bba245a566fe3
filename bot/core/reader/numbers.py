"""Numbers written as words, in any language of the lexicon.

Pure. Spelled-out numbers go through ``text2num`` (``alpha2digit``) for every
language whose lexicon file says ``numbers: text2num`` ("twenty-one" → 21,
"dix-huit" → 18, "dieciocho" → 18); Chinese and Japanese numerals through the
``numerals`` table of their files ("十八" → 18, "二十一" → 21).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from text_to_num import alpha2digit

from bot.core.reader.lexicon import Lexicon


def with_digits(text: str, lexicon: Lexicon) -> str:
    """``text`` with its number words as digits (the first language that reads
    any wins); CJK numerals too."""
    return _with_digits(text, lexicon)


@lru_cache(maxsize=4096)
def _with_digits(text: str, lexicon: Lexicon) -> str:
    numerals: dict[str, int] = {}
    for lang in lexicon.languages:
        numerals.update(lang.numerals)
    if numerals and any(c in numerals for c in text):
        text = _cjk_numbers(text, numerals)
    for lang in lexicon.languages:
        if lang.numbers != "text2num":
            continue
        try:
            converted = str(alpha2digit(text.replace("-", " "), lang.code))
        except (ValueError, KeyError, TypeError):  # a language text2num does not know
            continue
        if converted != text.replace("-", " ") and re.search(r"\d", converted):
            return converted
    return text


def _cjk_numbers(text: str, numerals: Mapping[str, int]) -> str:
    out: list[str] = []
    run = ""
    for char in text:
        if char in numerals:
            run += char
            continue
        if run:
            out.append(str(_cjk_value(run, numerals)))
            run = ""
        out.append(char)
    if run:
        out.append(str(_cjk_value(run, numerals)))
    return "".join(out)


def _cjk_value(run: str, numerals: Mapping[str, int]) -> int:
    """十八 → 18, 二十一 → 21, 一百二十 → 120, 三千 → 3000 (units below 10 000)."""
    total = 0
    digit = 0
    for char in run:
        value = numerals[char]
        if value < 10:
            digit = value
        else:
            total += (digit or 1) * value
            digit = 0
    return total + digit
