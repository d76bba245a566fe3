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
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

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
# Number words up to twenty and the round tens, in the languages news about a
# European dispute is written in.
_WORDS = {
    word: n
    for n, words in {
        1: "one uno una un eins ein eine um",
        2: "two due dos deux zwei dois",
        3: "three tre tres trois drei três",
        4: "four quattro cuatro quatre vier quatro",
        5: "five cinque cinco cinq fünf",
        6: "six sei seis sechs",
        7: "seven sette siete sept sieben sete",
        8: "eight otto ocho huit acht oito",
        9: "nine nove nueve neuf neun",
        10: "ten dieci diez dix zehn dez",
        11: "eleven undici once onze elf",
        12: "twelve dodici doce douze zwölf",
        13: "thirteen tredici trece treize dreizehn treze",
        14: "fourteen quattordici catorce quatorze vierzehn",
        15: "fifteen quindici quince quinze fünfzehn",
        16: "sixteen sedici dieciséis seize sechzehn dezesseis",
        17: "seventeen diciassette diecisiete dix-sept siebzehn dezessete",
        18: "eighteen diciotto dieciocho dix-huit achtzehn dezoito",
        19: "nineteen diciannove diecinueve dix-neuf neunzehn dezenove",
        20: "twenty venti veinte vingt zwanzig vinte",
        30: "thirty trenta treinta trente dreißig",
        40: "forty quaranta cuarenta quarante vierzig",
        50: "fifty cinquanta cincuenta cinquante fünfzig",
        100: "hundred cento cien cent hundert",
    }.items()
    for word in words.split()
}

_NUMBER = r"\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_WORD = "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True))
_SCALE = "|".join(sorted((re.escape(s) for s in _SCALES), key=len, reverse=True))
_CURRENCY = "|".join(sorted((re.escape(c) for c in _CURRENCIES), key=len, reverse=True))
# Joining words: "20 milioni di euro", "20 millions d'euros", "20 millones de euros".
_OF = r"(?:\s?(?:di|de|d'|d’|of)\s?)?"
_AMOUNT = re.compile(
    rf"(?P<c1>{_CURRENCY})?\s?(?P<n>{_NUMBER}|{_WORD})\s?(?:(?P<s>{_SCALE})\.?(?![a-z]))?"
    rf"{_OF}\s?(?P<c2>{_CURRENCY})?(?![a-z])",
    re.IGNORECASE,
)


def _number(text: str) -> Decimal | None:
    word = _WORDS.get(text.lower())
    if word is not None:
        return Decimal(word)
    digits = text.replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", digits) and not re.fullmatch(r"\d[.,]\d{3}", digits):
        digits = re.sub(r"[.,]", "", digits)  # thousands separators: 15.000.000, 15,000,000
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+\.\d+", digits):
        digits = digits.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d+", digits):
        digits = digits.replace(".", "").replace(",", ".")
    else:
        digits = digits.replace(",", ".")
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def _words(value: Decimal) -> str:
    for size, name in ((10**9, "billion"), (10**6, "million")):
        if value >= size:
            return f"{(value / size).normalize():f} {name}"
    return f"{value.normalize():,f}"


def canonical_amount(text: str) -> str | None:
    """``text`` as "€20 million" when it states one sum of money, else None."""
    bare = None
    for m in _AMOUNT.finditer(text):
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
