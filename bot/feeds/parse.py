"""Feed parsing with feedparser, made safe for hostile documents.

feedparser is given bytes only (never a URL or path). Before it sees them, the
document is decoded the way feedparser itself decodes it (its own
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

import html
import html.entities
import io
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin

import feedparser
import feedparser.encodings
import feedparser.sanitizer

from bot.core.items import ParsedFeed, RawEntry
from bot.core.text import CONTROL_CHARACTERS, HUGE_CHARREF
from bot.errors import ErrorCode, ParseError
from bot.feeds.dates import FallbackBudget, parse_date

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

_SPACE = b" \t\r\n"
_DOCTYPE = b"<!DOCTYPE"
# Inside a DOCTYPE: quoted literals, comments, PIs and the subset brackets.
_DOCTYPE_TOKEN = re.compile(rb"[\"'\[\]>]|<!--|<\?")
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
_HTML_ROOT = re.compile(rb"<(html|head|body)[\s>]", re.IGNORECASE)
_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
# The first plain <link> is the channel's (RSS 0.9x/2.0 put it before the items,
# RSS 1.0 keeps the channel before them too).
_CHANNEL_LINK = re.compile(rb"<link>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]+)")
_ATOM_ROOT = re.compile(rb"<(?:[\w.-]+:)?feed[\s>/]")
# An absolute http(s) URL that urljoin returns unchanged: a plain host, and a
# path, query and fragment of URL characters, none of them empty.
_PLAIN_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]{1,5})?"
    # no ";" in the path: urljoin drops an empty ";params" segment of http URLs
    r"(?:/[A-Za-z0-9\-._~!$&'()*+,=:@%/]*)?"
    r"(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]+)?"
    r"(?:#[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]+)?"
)
_URI_FIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_CLOSE_TAG = re.compile(r"</(\w+)>")
_ANY_ENTITY = re.compile(r"&#?\w+;")
_OPEN_OR_CLOSE_TAG = re.compile(r"</?(\w+)")
_NAMED_ENTITY = re.compile(r"&(\w+);")
_ACCEPTABLE_ELEMENTS = frozenset(feedparser.sanitizer._HTMLSanitizer.acceptable_elements)

# A character reference, or one escaped as text (``&amp;#…;``): feedparser
# unescapes the latter into HTML content and then int()s it too.
_CHAR_REF = re.compile(rb"&(amp;)?#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_UNPRINTABLE = re.compile(f"[\t\n{CONTROL_CHARACTERS}\u2028\u2029\u202a-\u202e\ud800-\udfff]")


class FeedparserParser:
    """The ``FeedParser`` port over feedparser 6. Swap it for another class
    with the same ``parse`` to change parsers.

    ``parse`` raises ``ParseError`` only: ``not_a_feed`` (HTML, empty, plain
    text, JSON …), ``unsafe_xml`` (entity tricks that could not be
    neutralised), ``parse`` (too big, or feedparser failed)."""

    def __init__(
        self,
        *,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        sanitize_html: bool = True,
        resolve_relative_uris: bool = True,
    ) -> None:
        self.max_bytes = max_bytes
        self.sanitize_html = sanitize_html
        self.resolve_relative_uris = resolve_relative_uris

    def parse(self, body: bytes, headers: Mapping[str, str] | None = None) -> ParsedFeed:
        return parse_or_error(self._parse, body, headers)

    def _parse(self, body: bytes, headers: Mapping[str, str] | None) -> ParsedFeed:
        document, lower = guard(body, headers, self.max_bytes)
        _refuse_non_feeds(document)
        return self.read(document, lower)

    def read(self, document: bytes, headers: Mapping[str, str]) -> ParsedFeed:
        """Parse a document that went through ``guard`` (UTF-8, entities
        neutralised); ``headers`` have lower-case names."""
        if not _ATOM_ROOT.match(_root(document)):
            document = _rss_links_against_channel(document, headers.get("content-location") or "")
        result = feedparser.parse(
            io.BytesIO(document),
            response_headers=_utf8_headers(headers),
            sanitize_html=self.sanitize_html,
            resolve_relative_uris=self.resolve_relative_uris,
        )
        if not result.get("version") and not result.get("entries"):
            if _HTML_ROOT.search(document[:4096]):
                raise _html_page()
            reason = result.get("bozo_exception")
            detail = f" (the XML parser said: {_printable(str(reason))})" if reason else ""
            raise ParseError(f"this is not an RSS/Atom feed{detail}", code=ErrorCode.NOT_A_FEED)
        feed = result.get("feed") or {}
        budget = FallbackBudget()
        return ParsedFeed(
            title=_text(_field(feed, "title")) or "",
            link=_text(_field(feed, "link")),
            entries=tuple(_raw_entry(entry, budget) for entry in result.get("entries") or ()),
        )


def _rss_links_against_channel(document: bytes, address: str) -> bytes:
    """RSS links are relative to the channel's ``<link>``; feedparser would
    resolve them against the document's address. An ``xml:base`` on each plain
    ``<link>`` element makes it use the channel link, and only for links: guids
    are still resolved as before, so their keys do not change."""
    channel = document.find(b"<channel")
    found = _CHANNEL_LINK.search(document, max(channel, 0))
    if found is None:
        return document
    link = html.unescape(found.group(1).decode("utf-8", "replace")).strip()
    base = feed_urljoin(address, link)
    if not base.startswith(("http://", "https://")):
        return document
    attribute = html.escape(base, quote=True).encode("utf-8")
    return document.replace(b"<link>", b'<link xml:base="' + attribute + b'">')


def guard(
    body: bytes, headers: Mapping[str, str] | None, max_bytes: int
) -> tuple[bytes, dict[str, str]]:
    """What stands in front of every parser: the size cap, the empty check,
    the document as UTF-8, its entity declarations and absurd character
    references neutralised. Returns the document and lower-cased headers."""
    if len(body) > max_bytes:
        raise ParseError(
            f"the document is {len(body)} bytes, over the {max_bytes}-byte limit",
            code=ErrorCode.PARSE,
        )
    if not body.strip():
        raise ParseError("the response was empty, not an RSS/Atom feed", code=ErrorCode.NOT_A_FEED)
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    return neutralise_char_refs(neutralise_entities(to_utf8(body, lower))), lower


def feed_urljoin(base: str, uri: str) -> str:
    """``uri`` resolved against ``base`` as feedparser resolves them (its
    ``_urljoin``: extra slashes after the scheme dropped; '' when unjoinable)."""
    uri = uri.strip()
    if _PLAIN_ABSOLUTE.fullmatch(uri):
        return uri  # what urljoin would give back, without its cost (most links)
    uri = _URI_FIXER.sub(r"\1\3", uri)
    if not base:
        return uri
    try:
        return urljoin(base, uri)
    except ValueError:
        return ""


def looks_like_html(text: str) -> bool:
    """feedparser's rule for an RSS text that is really HTML: a closing tag or
    an entity, and only known HTML elements and entities."""
    if not (_CLOSE_TAG.search(text) or _ANY_ENTITY.search(text)):
        return False
    if any(t.lower() not in _ACCEPTABLE_ELEMENTS for t in _OPEN_OR_CLOSE_TAG.findall(text)):
        return False
    return all(e in html.entities.entitydefs for e in _NAMED_ENTITY.findall(text))


def _root(document: bytes) -> bytes:
    """The start of the root element (after the prolog and any DOCTYPE)."""
    i = _skip_misc(document, 0)
    if i >= 0 and document[i : i + len(_DOCTYPE)].upper() == _DOCTYPE:
        try:
            _, after = _doctype_extent(document, i)
        except ParseError:
            return b""
        i = _skip_misc(document, after)
    return document[i : i + 64] if i >= 0 else b""


def to_utf8(body: bytes, headers: Mapping[str, str]) -> bytes:
    """``body`` converted to UTF-8 exactly as feedparser would convert it.
    Raises ``ParseError`` when no encoding fits."""
    outcome: dict[str, Any] = {}
    data = feedparser.encodings.convert_to_utf8(dict(headers), body, outcome)
    if not outcome.get("encoding"):
        raise ParseError("the document's character encoding is unknown", code=ErrorCode.PARSE)
    assert isinstance(data, bytes)
    return data


def _utf8_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers, with the charset rewritten: the body is now UTF-8."""
    adjusted = dict(headers)
    content_type = adjusted.get("content-type")
    if content_type:
        mime = content_type.split(";", 1)[0].strip()
        adjusted["content-type"] = f"{mime}; charset=utf-8"
    return adjusted


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
    if b"&#" not in data and b"&amp;#" not in data:
        return data
    return _CHAR_REF.sub(_checked_char_ref, data)


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
        if kind in (b'"', b"'"):
            close = data.find(kind, i)
            if close < 0:
                raise ParseError(
                    "the DOCTYPE has an unterminated string", code=ErrorCode.UNSAFE_XML
                )
            i = close + 1
        elif kind == b"<!--":
            close = data.find(b"-->", i)
            if close < 0:
                raise ParseError(
                    "the DOCTYPE has an unterminated comment", code=ErrorCode.UNSAFE_XML
                )
            i = close + 3
        elif kind == b"<?":
            close = data.find(b"?>", i)
            if close < 0:
                raise ParseError("the DOCTYPE has an unterminated PI", code=ErrorCode.UNSAFE_XML)
            i = close + 2
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


def _refuse_non_feeds(document: bytes) -> None:
    """Refuse, with a message saying what it is, a document whose root is
    plainly not a feed (HTML, JSON, plain text, nothing)."""
    i = _skip_misc(document, 0)
    if i < 0:
        return  # a broken prolog: let feedparser judge
    if document[i : i + len(_DOCTYPE)].upper() == _DOCTYPE:
        _, after = _doctype_extent(document, i)
        i = _skip_misc(document, after)
        if i < 0:
            return
    rest = document[i : i + 256].lstrip(b" \t\r\n\x00")
    if not rest:
        raise ParseError("the response was empty, not an RSS/Atom feed", code=ErrorCode.NOT_A_FEED)
    if _HTML_ROOT.match(rest):
        raise _html_page()
    if rest[:1] in (b"{", b"["):
        raise ParseError("this is JSON, not an RSS/Atom feed", code=ErrorCode.NOT_A_FEED)
    if rest[:1] != b"<":
        raise ParseError("this is plain text, not an RSS/Atom feed", code=ErrorCode.NOT_A_FEED)


def parse_or_error(
    read: Callable[[bytes, Mapping[str, str] | None], ParsedFeed],
    body: bytes,
    headers: Mapping[str, str] | None,
) -> ParsedFeed:
    """``read(body, headers)``, with any exception turned into a ``ParseError``:
    the ``FeedParser`` port promises nothing else, whatever the input."""
    try:
        return read(body, headers)
    except ParseError:
        raise
    except Exception as error:
        detail = _printable(f"{type(error).__name__}: {error}")
        raise ParseError(
            f"the feed could not be parsed ({detail})", code=ErrorCode.PARSE
        ) from error


def _printable(text: str, limit: int = 300) -> str:
    """An error detail fit for ``feeds list`` and the database: exception
    messages may quote the document, control characters and all."""
    text = _UNPRINTABLE.sub("\ufffd", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _html_page() -> ParseError:
    return ParseError("this is an HTML page, not an RSS/Atom feed", code=ErrorCode.NOT_A_FEED)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _field(mapping: Any, key: str) -> Any:
    # Plain dict access: FeedParserDict's own lookups alias some keys and warn.
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def _defuse_text_refs(text: str) -> str:
    if "&#" not in text:
        return text
    # Escaped references (``&amp;#9999…;``) reach entry HTML as text; those too long
    # to denote any character would make an HTML unescaper's int() raise later.
    return HUGE_CHARREF.sub("&#xFFFD;", text)


def _raw_entry(entry: Mapping[str, Any], budget: FallbackBudget) -> RawEntry:
    summary = _text(_field(entry, "summary"))
    if not summary:
        content = _field(entry, "content") or ()
        summary = _text(_field(content[0], "value")) if content else None
    guid = _text(_field(entry, "id")) or None
    # FeedBurner's tracking link hides the article's own, in feedburner:origLink.
    link = _text(_field(entry, "feedburner_origlink") or _field(entry, "link")) or None
    date_text = _text(_field(entry, "published") or _field(entry, "updated"))
    title_detail = _field(entry, "title_detail") or {}
    return RawEntry(
        guid=guid,
        link=link,
        title=_defuse_text_refs(_text(_field(entry, "title")) or ""),
        summary_html=_defuse_text_refs(summary or ""),
        published=parse_date(date_text, budget),
        published_text=date_text,
        title_is_html=_field(title_detail, "type") != "text/plain",
    )
