"""Publication dates as feeds really write them, read from the raw string.

``parse_date`` turns a feed's date text into an aware UTC ``datetime`` or None
(unreadable: the caller flags the date as replaced, never guesses). Neither
feed parser's own date reading is used: both drop the zone of
``… America/Los_Angeles``, lose the PM of a 12-hour clock or give up on
non-English names, and a wrong instant is worse than no instant.

Fast paths, tried in order, cover nearly every real feed:

* a Unix timestamp (``1520932969``, or milliseconds);
* ISO 8601 / RFC 3339 / W3C-DTF (``2024-03-01T12:30:00-05:00``; a trailing
  ``Z`` after an explicit offset, ``…-05:00Z``, keeps the offset);
* a token reader for the RFC 822 family and its real-world variants: day and
  month names in English, German, French, Spanish, Portuguese, Italian and
  Dutch, ordinals (``23rd``), stray commas, 12-hour clocks, numeric offsets,
  ``GMT+2``, common zone abbreviations (``EST``, ``CEST``, …) and IANA zone
  names (``America/Los_Angeles``). It refuses any token it does not know, so
  it never reads half a date.

Only what they all refuse goes to ``dateparser`` (absolute dates only, day,
month and year required), which is several hundred times slower (15–25 ms a
date here, against 30 µs); so only text with a digit in it, at most
``FALLBACKS_PER_DOCUMENT`` new texts per document (``FallbackBudget``), and
results are memoised, since a feed repeats its dates on every poll.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_DATE_TEXT = 100
FALLBACKS_PER_DOCUMENT = 20
FALLBACK_MEMO = 4096

_UNIX = re.compile(r"\d{9,10}(?:\.\d{1,6})?|\d{12,13}")
_ISO = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[Tt ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?\s*(?:Z|z|UTC|GMT)?"
)
_TIME = re.compile(
    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?"
    r"(a\.?m\.?|p\.?m\.?)?(z|[+-]\d{2}:?\d{2})?"
)
_OFFSET = re.compile(r"(?:gmt|utc|ut)?([+-])(\d{1,2})(?::?(\d{2}))?")
# 16.04.2023: day first, as everywhere dots are written.
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th|er|e|º|ª|\.)")
_PARENTHESISED = re.compile(r"\([^)]*\)")

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "jan january janeiro janvier janv januar jänner jän janner enero ene gennaio gen januari",
        "feb february fevereiro fev février févr fevrier fevr februar febrero febbraio februari",
        "mar march março marco mars märz maerz mrz marzo maart mrt",
        "apr april abril avril avr aprile",
        "may maio mai mayo maggio mag mei",
        "jun june junho juin juni junio giugno giu",
        "jul july julho juillet juil juli julio luglio lug",
        "aug august agosto août aout ago augustus",
        "sep sept september setembro set septembre septiembre setiembre settembre",
        "oct october outubro out octobre oktober okt octubre ottobre ott",
        "nov november novembro novembre noviembre",
        "dec december dezembro dez décembre decembre dezember diciembre dic dicembre",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

# English, German, French, Spanish, Portuguese, Italian, Dutch: names and abbreviations.
_WEEKDAY_NAMES = (
    "mon monday tue tues tuesday wed weds wednesday thu thur thurs thursday fri friday "
    "sat saturday sun sunday "
    "mo di mi do fr sa so montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag "
    "lun mar mer jeu ven sam dim lundi mardi mercredi jeudi vendredi samedi dimanche "
    "mié mie jue vie sáb sab dom lunes martes miércoles miercoles jueves viernes sábado sabado "
    "domingo seg ter qua qui sex segunda terça terca quarta quinta sexta segunda-feira "
    "terça-feira terca-feira quarta-feira quinta-feira sexta-feira "
    "gio lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi "
    "ma wo vr za zo maandag dinsdag woensdag donderdag vrijdag zaterdag zondag"
)
_WEEKDAYS = frozenset(_WEEKDAY_NAMES.split())
# Words that join the parts of a date in some languages ("23 de janeiro de 2018").
_FILLERS = frozenset({"de", "del", "at", "of", "à", "às", "om", "le", "der", "den", "el", "um"})

_H = 3600
# Common abbreviations with the offset they mean in news feeds (where one is
# ambiguous, the reading that feeds use: IST India, BST British Summer Time).
_ZONES: dict[str, int] = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0, "west": _H, "bst": _H, "ist": 19800,
    "cet": _H, "cest": 2 * _H, "met": _H, "mest": 2 * _H, "mez": _H, "mesz": 2 * _H,
    "eet": 2 * _H, "eest": 3 * _H, "msk": 3 * _H, "cat": 2 * _H, "eat": 3 * _H, "wat": _H,
    "sast": 2 * _H, "pkt": 5 * _H, "ict": 7 * _H, "wib": 7 * _H, "hkt": 8 * _H, "sgt": 8 * _H,
    "pht": 8 * _H, "awst": 8 * _H, "jst": 9 * _H, "kst": 9 * _H, "acst": 34200, "acdt": 37800,
    "aest": 10 * _H, "aedt": 11 * _H, "nzst": 12 * _H, "nzdt": 13 * _H,
    "est": -5 * _H, "edt": -4 * _H, "cst": -6 * _H, "cdt": -5 * _H, "mst": -7 * _H,
    "mdt": -6 * _H, "pst": -8 * _H, "pdt": -7 * _H, "akst": -9 * _H, "akdt": -8 * _H,
    "hst": -10 * _H, "ast": -4 * _H, "adt": -3 * _H, "nst": -12600, "ndt": -9000,
    "brt": -3 * _H, "art": -3 * _H, "clt": -4 * _H,
}  # fmt: skip


class FallbackBudget:
    """How many new texts one document may send to ``dateparser``: a feed of
    thousands of distinct odd dates must not cost minutes."""

    def __init__(self, calls: int = FALLBACKS_PER_DOCUMENT) -> None:
        self.left = calls

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


_fallback_memo: dict[str, datetime | None] = {}
_UNREAD = object()


def parse_date(text: str | None, budget: FallbackBudget | None = None) -> datetime | None:
    """The instant ``text`` denotes, aware UTC, or None when it cannot be read
    with confidence. A date without a zone is taken as UTC (as RFC 822 and
    both feed parsers do). ``budget`` limits the calls to ``dateparser``."""
    if not text:
        return None
    text = " ".join(text.split())
    if not text or len(text) > MAX_DATE_TEXT:
        return None
    found = _fast_paths(text)
    if found is not _UNREAD:
        return found  # type: ignore[return-value]
    if text in _fallback_memo:
        return _fallback_memo[text]
    if not any(c.isdigit() for c in text) or (budget is not None and not budget.take()):
        return None
    if len(_fallback_memo) >= FALLBACK_MEMO:
        _fallback_memo.clear()
    _fallback_memo[text] = result = _fallback(text)
    return result


@lru_cache(maxsize=8192)
def _fast_paths(text: str) -> datetime | object | None:
    """The fast paths' reading, or ``_UNREAD`` when none of them knows the shape."""
    for reader in (_unix, _iso, _tokens):
        try:
            found = reader(text)
        except (ValueError, OverflowError):
            return None  # the shape was right and the values impossible: unreadable
        if found is not None:
            return found.astimezone(UTC)
    return _UNREAD


def _unix(text: str) -> datetime | None:
    if not _UNIX.fullmatch(text):
        return None
    seconds = float(text)
    if len(text) >= 12 and "." not in text:
        seconds /= 1000  # milliseconds
    return datetime.fromtimestamp(seconds, UTC)


def _iso(text: str) -> datetime | None:
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        min(int(second or 0), 59),
        micro,
        tzinfo=_fixed(zone) if zone else UTC,
    )


def _fixed(zone: str) -> tzinfo:
    if zone in ("Z", "z"):
        return UTC
    m = _OFFSET.fullmatch(zone.lower())
    if m is None:
        raise ValueError(zone)
    sign, hours, minutes = m.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta > timedelta(hours=14):
        raise ValueError(zone)
    return timezone(-delta if sign == "-" else delta)


def _tokens(text: str) -> datetime | None:
    """The RFC 822 family, token by token; None when any token is unknown."""
    words = _PARENTHESISED.sub(" ", text).replace(",", " ").split()
    if not words:
        return None
    lowered = [w.lower().rstrip(".") for w in words]
    if lowered[0] in _WEEKDAYS and any(w in _MONTHS for w in lowered[1:]):
        lowered = lowered[1:]  # "Mar" first is Tuesday in Spanish only if a month follows
    month = day = year = None
    numbers: list[str] = []
    clock: tuple[int, int, int] | None = None
    meridiem: str | None = None
    zone: tzinfo | None = None
    for i, word in enumerate(lowered):
        if word in _MONTHS and month is None:
            month = _MONTHS[word]
        elif word in _WEEKDAYS or word in _FILLERS:
            continue
        elif (m := _DOTTED.fullmatch(word)) is not None and month is None and day is None:
            day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        elif word.isdigit() and len(word) <= 4:
            numbers.append(word)
        elif (m := _ORDINAL.fullmatch(word)) is not None and day is None:
            day = int(m.group(1))
        elif (m := _TIME.fullmatch(word)) is not None and clock is None:
            hour, minute, second, half, attached = m.groups()
            clock = (int(hour), int(minute), int(second or 0))
            meridiem = half[0] if half else None
            if attached:
                zone = _fixed(attached.upper())
        elif word in ("am", "pm", "a.m", "p.m") and clock is not None and meridiem is None:
            meridiem = word[0]
        elif zone is None and (found := _zone(words[i + len(words) - len(lowered)])) is not None:
            zone = found
        else:
            return None
    if month is None:
        return None
    for number in numbers:
        if len(number) == 4 and year is None:
            year = int(number)
        elif len(number) <= 2 and day is None:
            day = int(number)
        elif len(number) <= 2 and year is None:
            year = int(number) + (2000 if int(number) < 70 else 1900)
        else:
            return None
    if day is None or year is None:
        return None
    hour, minute, second = clock or (0, 0, 0)
    if meridiem == "p" and hour < 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    local = datetime(year, month, day, hour, minute, min(second, 59))
    return local.replace(tzinfo=zone or UTC)


def _zone(word: str) -> tzinfo | None:
    lowered = word.lower()
    if lowered in _ZONES:
        return timezone(timedelta(seconds=_ZONES[lowered]))
    if lowered[:1] in "+-" or lowered.startswith(("gmt", "utc", "ut")):
        try:
            return _fixed(lowered)
        except ValueError:
            return None
    if "/" in word and word.replace("/", "").replace("_", "").replace("-", "").isalpha():
        try:
            return ZoneInfo(word)
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


_DATEPARSER_SETTINGS: dict[str, Any] = {
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PARSERS": ["absolute-time"],
}
_LANGUAGES = ["en", "de", "fr", "es", "pt", "it", "nl", "sv", "da", "nb", "fi", "pl", "cs", "ro"]


def _fallback(text: str) -> datetime | None:
    """What only ``dateparser`` can read (slow: imported and used last)."""
    import dateparser  # a second to import, and only some feeds ever need it

    try:
        found = dateparser.parse(text, languages=_LANGUAGES, settings=_DATEPARSER_SETTINGS)
    except Exception:  # dateparser raises assorted errors on odd input: unreadable
        return None
    if not isinstance(found, datetime) or found.tzinfo is None:
        return None
    return found.astimezone(UTC)
