"""What stands in front of every XML parser: a hostile document made safe.

The parsers are given bytes only (never a URL or path). Before they see them,
the document is decoded the way feedparser itself decodes it (its own
``convert_to_utf8``: BOM, UTF-16/32, XML declaration, HTTP charset, fallbacks),
so entity declarations are found whatever the charset. The DOCTYPE's internal
subset is then *neutralised*, not refused: it is removed, keeping only entities
with a short literal value (no references, so no nesting) or one character
reference, and only while all their references together add at most 1 MiB;
references to every other entity are escaped into literal text (``&amp;x;``)
so the document stays well-formed. That defuses billion laughs, quadratic
blow-up and external entities, while documents that merely declare a few
entities, and plain DOCTYPEs like RSS 0.91's, still parse.
What cannot be neutralised safely (an unterminated DOCTYPE, entity
declarations outside it) is refused with ``ParseError`` (``unsafe_xml``).

In the same pre-pass, numeric character references to characters XML forbids
(``&#0;``, ``&#x110000;``, ``&#99999999999;``, surrogates, controls) become
``&#xFFFD;``: feedparser's ``chr()`` raises on some of them, which would lose
the whole feed, and the others would carry control characters in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import feedparser.encodings

from bot.errors import ErrorCode, ParseError

_SPACE = b" \t\r\n"
_DOCTYPE = b"<!DOCTYPE"
# Inside a DOCTYPE: quoted literals, comments, PIs and the subset brackets.
_DOCTYPE_TOKEN = re.compile(rb"[\"'\[\]>]|<!--|<\?")
# What ends each of those that may hold a ">" or a bracket, and its name.
_CLOSERS = {
    b'"': (b'"', "string"),
    b"'": (b"'", "string"),
    b"<!--": (b"-->", "comment"),
    b"<?": (b"?>", "PI"),
}
# feedparser splits the "head" off at the first thing that looks like an element.
_FEEDPARSER_HEAD_END = re.compile(rb"<\w")
# Entities kept: a literal value (no references, so no nesting) or one
# character reference. Their total expansion is then checked against a budget.
_LITERAL_ENTITY = re.compile(
    rb"<!ENTITY\s+([A-Za-z_][\w.-]{0,63})\s+"
    rb"(?:\"(&\#[0-9]{1,7};|&\#x[0-9A-Fa-f]{1,6};|[^&%<\"]{0,1024})\""
    rb"|'(&\#[0-9]{1,7};|&\#x[0-9A-Fa-f]{1,6};|[^&%<']{0,1024})')\s*>"
)
EXPANSION_BUDGET = 1024 * 1024

_ENTITY_NAME = re.compile(rb"<!ENTITY\s+([A-Za-z_][\w.-]*)")
_ENTITY_REF = re.compile(rb"&([A-Za-z_][\w.-]*);")
_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})

# A character reference, or one escaped as text (``&amp;#…;``): feedparser
# unescapes the latter into HTML content and then int()s it too.
_CHAR_REF = re.compile(rb"&(amp;)?#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_HASH_SIGNS_LOOKED_AT = 32  # past that many, the substring searches are cheaper
_CHAR_REF_TEXT = re.compile(rb"&(?:amp;)?#(?:[xX][0-9A-Fa-f]+|[0-9]+);")  # the same, no groups


def guard(body: bytes, headers: Mapping[str, str] | None) -> tuple[bytes, dict[str, str]]:
    """The document as UTF-8, its entity declarations and absurd character
    references neutralised; and the headers with lower-cased names. Raises
    ``ParseError`` (``parse`` when no encoding fits, ``unsafe_xml``)."""
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    return neutralise_char_refs(neutralise_entities(to_utf8(body, lower))), lower


def to_utf8(body: bytes, headers: Mapping[str, str]) -> bytes:
    """``body`` converted to UTF-8 exactly as feedparser would convert it.
    Raises ``ParseError`` when no encoding fits."""
    outcome: dict[str, Any] = {}
    data = feedparser.encodings.convert_to_utf8(dict(headers), body, outcome)
    if not outcome.get("encoding"):
        raise ParseError("the document's character encoding is unknown", code=ErrorCode.PARSE)
    assert isinstance(data, bytes)
    return data


def root_start(document: bytes) -> int:
    """Where the root element starts (after the prolog and any DOCTYPE), or
    -1 when a PI or comment there is not terminated. Raises ``ParseError``
    (``unsafe_xml``) for a DOCTYPE that does not end."""
    i = _skip_misc(document, 0)
    if i >= 0 and document[i : i + len(_DOCTYPE)].upper() == _DOCTYPE:
        _, after = _doctype_extent(document, i)
        i = _skip_misc(document, after)
    return i


def neutralise_entities(data: bytes) -> bytes:
    """Remove the internal subset of the prolog's DOCTYPE from a UTF-8 XML
    document. Literal entities are kept when all their references together
    expand the document by at most ``EXPANSION_BUDGET`` bytes; references to
    every other declared entity are escaped to literal text. Raises
    ``ParseError`` (``unsafe_xml``) when entity declarations would survive."""
    kept: list[bytes] = []
    dropped: set[bytes] = set()
    open_at = -1
    start = _prolog_doctype(data)
    if start is not None:
        subset, _ = _doctype_extent(data, start)
        if subset is not None:
            open_at, close_at = subset
            declared = {m.group(1) for m in _ENTITY_NAME.finditer(data, open_at, close_at)}
            literal: dict[bytes, tuple[bytes, int]] = {}
            for m in _LITERAL_ENTITY.finditer(data, open_at, close_at):
                # XML binds the first declaration of a name; so do we.
                literal.setdefault(m.group(1), (m.group(0), len(m.group(2) or m.group(3) or b"")))
            data = data[:open_at] + data[close_at + 1 :]
            if literal and _expansion(data, literal) <= EXPANSION_BUDGET:
                kept = [declaration for declaration, _ in literal.values()]
                dropped = declared - literal.keys() - _PREDEFINED
            else:
                dropped = declared - _PREDEFINED
    # feedparser collects "<!ENTITY" declarations from everything before the
    # first element-like tag, for its fallback parser: none may be left there.
    head_end = _FEEDPARSER_HEAD_END.search(data)
    if b"<!ENTITY" in data[: head_end.start() if head_end else len(data)]:
        raise ParseError(
            "the document declares XML entities outside a DOCTYPE we can clean; refused",
            code=ErrorCode.UNSAFE_XML,
        )
    if dropped:
        # References to the dropped entities become literal text, so the
        # document stays well-formed for the strict (and much faster) parser.
        data = _ENTITY_REF.sub(
            lambda m: b"&amp;" + m.group(1) + b";" if m.group(1) in dropped else m.group(0), data
        )
    if kept:
        # One declaration per line: the form feedparser's DOCTYPE rewriting expects.
        subset_text = b"[\n" + b"\n".join(kept) + b"\n]"
        data = data[:open_at] + subset_text + data[open_at:]
    return data


def neutralise_char_refs(data: bytes) -> bytes:
    """``data`` with every numeric character reference to a character that is
    not an XML ``Char`` (NUL and other controls, surrogates, U+FFFE/U+FFFF,
    anything beyond U+10FFFF) replaced by ``&#xFFFD;`` (``&amp;#xFFFD;`` when
    it was escaped as text); valid ones are kept."""
    if not _has_char_ref(data):
        return data
    # Most documents repeat a few valid references (&#x27;, &#8217;): each
    # distinct one is checked once, and the document is rewritten only when
    # one of them is not a character.
    if all(_checked_char_ref_text(ref) == ref for ref in set(_CHAR_REF_TEXT.findall(data))):
        return data
    return _CHAR_REF.sub(_checked_char_ref, data)


def _has_char_ref(data: bytes) -> bool:
    """``b"&#" in data or b"&amp;#" in data``, found from the "#" bytes: finding
    one byte is a memchr, many times faster than a substring search, and most
    documents have few "#" or none."""
    at = data.find(b"#")
    for _ in range(_HASH_SIGNS_LOOKED_AT):
        if at < 0:
            return False
        if data.endswith(b"&", 0, at) or data.endswith(b"&amp;", 0, at):
            return True
        at = data.find(b"#", at + 1)
    return at >= 0 and (b"&#" in data or b"&amp;#" in data)


def _checked_char_ref_text(ref: bytes) -> bytes:
    checked = _CHAR_REF.fullmatch(ref)
    assert checked is not None  # ref is a whole _CHAR_REF_TEXT match
    return _checked_char_ref(checked)


def _checked_char_ref(match: re.Match[bytes]) -> bytes:
    escaped, hexa, decimal = match.group(1), match.group(2), match.group(3)
    digits = (hexa or decimal).lstrip(b"0")
    # Past U+10FFFF in either base: never int() a huge string (Python refuses
    # more than 4300 digits, feedparser's chr() anything past 0x10FFFF).
    if len(digits) <= 7 and _is_xml_char(int(digits or b"0", 16 if hexa else 10)):
        return match.group(0)
    return b"&amp;#xFFFD;" if escaped else b"&#xFFFD;"


def _is_xml_char(value: int) -> bool:
    return (
        value in (0x9, 0xA, 0xD)
        or 0x20 <= value <= 0xD7FF
        or 0xE000 <= value <= 0xFFFD
        or 0x10000 <= value <= 0x10FFFF
    )


def _expansion(data: bytes, literal: Mapping[bytes, tuple[bytes, int]]) -> int:
    """How many bytes the references to ``literal`` entities would add."""
    total = 0
    for match in _ENTITY_REF.finditer(data):
        entry = literal.get(match.group(1))
        if entry is not None:
            total += entry[1]
            if total > EXPANSION_BUDGET:
                break
    return total


def _skip_misc(data: bytes, i: int) -> int:
    """Index of the first byte after whitespace, PIs and comments from ``i``,
    or -1 when a PI or comment is not terminated."""
    n = len(data)
    while i < n:
        if data[i] in _SPACE:
            i += 1
        elif data.startswith(b"<?", i):
            j = data.find(b"?>", i + 2)
            if j < 0:
                return -1
            i = j + 2
        elif data.startswith(b"<!--", i):
            j = data.find(b"-->", i + 4)
            if j < 0:
                return -1
            i = j + 3
        else:
            break
    return i


def _prolog_doctype(data: bytes) -> int | None:
    """Where the DOCTYPE declaration starts, when it is in the prolog."""
    i = _skip_misc(data, 0)
    if i >= 0 and data.startswith(_DOCTYPE, i):
        return i
    return None


def _doctype_extent(data: bytes, start: int) -> tuple[tuple[int, int] | None, int]:
    """The internal subset's bracket positions (or None) and the index after
    the DOCTYPE's closing ``>``."""
    i = start + len(_DOCTYPE)
    subset: tuple[int, int] | None = None
    open_at = -1
    while True:
        token = _DOCTYPE_TOKEN.search(data, i)
        if token is None:
            raise ParseError("the DOCTYPE is not terminated; refused", code=ErrorCode.UNSAFE_XML)
        kind = token.group(0)
        i = token.end()
        closer = _CLOSERS.get(kind)
        if closer is not None:
            end, what = closer
            close = data.find(end, i)
            if close < 0:
                raise ParseError(
                    f"the DOCTYPE has an unterminated {what}", code=ErrorCode.UNSAFE_XML
                )
            i = close + len(end)
        elif kind == b"[":
            if subset is not None or open_at >= 0:
                raise ParseError("the DOCTYPE has two internal subsets", code=ErrorCode.UNSAFE_XML)
            open_at = token.start()
        elif kind == b"]":
            if open_at < 0 or subset is not None:
                raise ParseError("the DOCTYPE has a stray ']'", code=ErrorCode.UNSAFE_XML)
            subset = (open_at, token.start())
        elif open_at < 0 or subset is not None:  # ">" outside the subset ends it
            return subset, i
        # ">" inside the subset ends a markup declaration: go on.
