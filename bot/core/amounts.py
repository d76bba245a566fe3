"""Sums of money written in any of the ways news writes them, as one canonical text.

Pure. A text fact such as a fine is reported as "€20 million", "20 milioni di
euro", "EUR 20m", "20 Millionen Euro", "veinte millones de euros" or "2000万欧元";
all of these are the same value, and a fact must not flip between them.
:func:`canonical_amount` reads a number (digits with either decimal
convention, or a number word in English, Italian, French, Spanish, Portuguese or
German), a scale (million, milioni, Mio., mln, m, bn, 万, 亿, …) and a currency
(€, EUR, euro(s), $, USD, dollars, £, …) in either order, and writes the value as
"€20 million"; a sum written without its currency but with a spelled-out scale
("la multa da 15 milioni") is "15 million", which :func:`same_amount` takes as
equal to "€15 million". Other text is left alone (a duration, a name).

Digits go through ``price-parser`` (either decimal convention, thousands
separators) and number words through ``text2num``; the scales and the currency
words of six languages and CJK are tables here, since neither library reads
"milioni", "Mio." or "万" as a multiplier, and price-parser knows no "dollari",
"sterline" or "美元" (and "Euro" only in lower case).
"""

from __future__ import annotations

import re
from decimal import Decimal

from price_parser import Price
from text_to_num import text2num

_CURRENCIES = {
    "€": "€",
    "eur": "€",
    "euro": "€",
    "euros": "€",
    "euri": "€",
    "欧元": "€",
    "ユーロ": "€",
    "$": "$",
    "usd": "$",
    "us$": "$",
    "dollar": "$",
    "dollars": "$",
    "dollari": "$",
    "dólares": "$",
    "dolares": "$",
    "美元": "$",
    "ドル": "$",
    "£": "£",
    "gbp": "£",
    "pound": "£",
    "pounds": "£",
    "sterlina": "£",
    "sterline": "£",
    "英镑": "£",
}
_SCALES = {
    "thousand": 10**3,
    "k": 10**3,
    "mila": 10**3,
    "mille": 10**3,
    "mil": 10**3,
    "tausend": 10**3,
    "million": 10**6,
    "millions": 10**6,
    "milione": 10**6,
    "milioni": 10**6,
    "millón": 10**6,
    "millon": 10**6,
    "millones": 10**6,
    "milhão": 10**6,
    "milhões": 10**6,
    "millionen": 10**6,
    "mio": 10**6,
    "mln": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "billions": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "miliardo": 10**9,
    "miliardi": 10**9,
    "milliard": 10**9,
    "milliards": 10**9,
    "milliarde": 10**9,
    "milliarden": 10**9,
    "mrd": 10**9,
    "万": 10**4,
    "萬": 10**4,
    "亿": 10**8,
    "億": 10**8,
}
# Number words go through text2num in these languages ("veinte", "dix-sept",
# "twenty-one"); it does not read the German article "eine" as one.
_LANGUAGES = ("en", "it", "fr", "es", "pt", "de")
_ONE = "eine"

_NUMBER = r"\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_SCALE = "|".join(sorted((re.escape(s) for s in _SCALES), key=len, reverse=True))
_CURRENCY = "|".join(sorted((re.escape(c) for c in _CURRENCIES), key=len, reverse=True))
# A word that may be a number: not a scale or a currency itself ("millones de euros").
_WORD = rf"(?!(?:{_SCALE}|{_CURRENCY})(?![^\W\d_]))[^\W\d_]+(?:-[^\W\d_]+)*"
# Joining words: "20 milioni di euro", "20 millions d'euros", "20 millones de euros".
_OF = r"(?:\s?(?:di|de|d'|d’|of)\s?)?"
_AMOUNT = re.compile(
    rf"(?P<c1>{_CURRENCY})?\s?(?P<n>{_NUMBER}|{_WORD})\s?(?:(?P<s>{_SCALE})\.?(?![a-z]))?"
    rf"{_OF}\s?(?P<c2>{_CURRENCY})?(?![a-z])",
    re.IGNORECASE,
)


def _number(text: str) -> Decimal | None:
    if text[0].isdigit():
        # One group of three after one digit is a decimal here ("1.500 miliardi"
        # is 1.5 billion); price-parser would read a thousands separator.
        single = re.fullmatch(r"\d([.,])\d{3}", text)
        return Price.fromstring(text, decimal_separator=single and single.group(1)).amount
    word = text.lower()
    if word == _ONE:
        return Decimal(1)
    for lang in _LANGUAGES:
        try:
            return Decimal(text2num(word, lang))
        except ValueError:
            continue
    return None


def _words(value: Decimal) -> str:
    for size, name in ((10**9, "billion"), (10**6, "million")):
        if value >= size:
            return f"{(value / size).normalize():f} {name}"
    return f"{value.normalize():,f}"


def canonical_amount(text: str) -> str | None:
    """``text`` as "€20 million" when it states one sum of money, else None."""
    bare = None
    pos = 0
    while m := _AMOUNT.search(text, pos):
        # A sum not taken here resumes the search right after its number: the
        # currency a word took ("worth $", "a $") may begin the next sum.
        pos = m.end("n")
        symbol = m.group("c1") or m.group("c2")
        scale = m.group("s")
        # Without a currency only a spelled-out scale says it is a sum ("a 15
        # milioni fine"); "18 days" or a lone "m" is not one.
        if not symbol and not (scale and len(scale) > 2 and bare is None):
            continue
        number = _number(m.group("n"))
        if number is None:
            continue
        value = number * _SCALES.get(scale.lower(), 1) if scale else number
        if not symbol:
            bare = _words(value)
            continue
        return f"{_CURRENCIES[symbol.lower()]}{_words(value)}"
    return bare


def same_amount(a: str, b: str) -> bool:
    """Whether two canonical values are the same sum, one of them written without
    its currency ("15 million" and "€15 million")."""
    if a == b:
        return True
    bare_a, bare_b = a.lstrip("€$£"), b.lstrip("€$£")
    return bare_a == bare_b and (bare_a == a or bare_b == b) and bare_a[:1].isdigit()
