"""Feed text made plain: HTML fragments to text, and the cleaning every feed
text gets. Pure.

* :func:`html_to_text` — tags dropped (script and style content too), entities
  decoded, a newline between blocks, spaces collapsed, control characters
  removed; the plain markup most feeds send is read by a regular-expression
  fast path, anything else by the standard library's ``HTMLParser``, and both
  give the same text (a property test holds them to it);
* :func:`clean_text` — control, bidi and other unwanted characters removed;
* :func:`single_line`, :func:`truncate` — one line; a length cut at a word.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from bot.core.text import HUGE_CHARREF, UNWANTED

_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "tr",
        "table",
        "pre",
        "hr",
        "section",
        "article",
        "figure",
        "figcaption",
        "header",
        "footer",
    }
)
_INVISIBLE_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object"})


def clean_text(text: str) -> str:
    """``text`` without NUL and other control characters (tab and newline
    kept), bidi overrides, line/paragraph separators, noncharacters and lone
    surrogates."""
    # Every character UNWANTED matches is unprintable (a test checks all code
    # points), and str.isprintable is several times cheaper than the search.
    if text.isprintable():
        return text
    return UNWANTED.sub("", text)


def single_line(text: str) -> str:
    if _single_spaced(text):
        return text  # most titles
    return " ".join(text.split())


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary when
    one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


# A start, end or self-closing tag whose attributes hold no quotes or angle
# brackets but simple quoted values: the markup the fast path reads.
_SIMPLE_TAG = re.compile(
    r"</?([a-zA-Z][a-zA-Z0-9]*)"
    r"(?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>=`]+))?)*"
    r"\s*/?>"
)


# What each tag the fast path reads leaves in the text: a newline for a block.
_TAG_TEXT = {name: "\n" for name in _BLOCK_TAGS}


def _simple_html_to_text(html: str) -> str | None:
    """What ``_TextExtractor`` gives, for the plain markup most feeds send
    (tags with simple attributes, entities, no comments, scripts or stray
    ``<``), several times faster; None for anything else."""
    # One split in C: the text between tags at even indices, the tag names at odd.
    parts = _SIMPLE_TAG.split(html)
    texts = parts[0::2]
    between = "".join(texts)
    if "<" in between or ">" in between:
        return None
    names = list(map(str.lower, parts[1::2]))
    if not _INVISIBLE_TAGS.isdisjoint(names):
        return None
    if "&" in between:
        # Each text is decoded on its own, as the parser's handle_data sees it.
        parts[0::2] = list(map(unescape, texts))
    parts[1::2] = [_TAG_TEXT.get(name, "") for name in names]
    return "".join(parts)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags dropped (script/style content too),
    entities decoded, a newline between blocks, spaces collapsed, control
    characters removed."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        text = html
    else:
        # A numeric reference too long to be a character would make the
        # decoder raise (int() refuses over 4300 digits): it is no character.
        if "&#" in html:
            html = HUGE_CHARREF.sub("\ufffd", html)
        simple = _simple_html_to_text(html)
        if simple is not None:
            text = simple
        else:
            extractor = _TextExtractor()
            extractor.feed(html)
            extractor.close()
            text = "".join(extractor.parts)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Empty lines are dropped before cleaning, and lines cleaning empties after.
    return "\n".join([clean for line in text.split("\n") if line and (clean := _clean_line(line))])


def _clean_line(line: str) -> str:
    """One line of text (no newline in it) as :func:`clean_text` leaves it,
    each run of whitespace then made one space, none at either end
    (str.split's whitespace is the regular expressions' ``\\s``: both are
    ``str.isspace``)."""
    if _single_spaced(line):
        return line  # most lines
    return " ".join(clean_text(line).split())


def _single_spaced(text: str) -> bool:
    """Whether ``text`` is its own clean single line: printable text holds no
    character clean_text removes and no whitespace but the space (a test
    checks every code point), so then only a double, leading or trailing
    space would change."""
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "
