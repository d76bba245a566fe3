"""Saying what a document is when it is plainly no feed: empty, an HTML page,
JSON, plain text. Common answers a feed URL gives (a home page, an API, an
error text), named so ``feeds add`` and ``feeds list`` can tell the admin.

It names kinds of documents, never a feed format: the registry hands a
reader only what no other format's sniff claimed, so a new format adds
nothing here."""

from __future__ import annotations

import re

from bot.errors import ErrorCode, ParseError
from bot.feeds.xml_guard import root_start

HTML_ROOT = re.compile(rb"<(html|head|body)[\s>]", re.IGNORECASE)


def refuse_non_feeds(document: bytes) -> None:
    """Refuse, with a message saying what it is, a UTF-8 document (``guard``'s)
    whose root is plainly not a feed's."""
    i = root_start(document)
    if i < 0:
        return  # a broken prolog: let the parser judge
    rest = document[i : i + 256].lstrip(b" \t\r\n\x00")
    if not rest:
        raise ParseError("the response was empty, not an RSS/Atom feed", code=ErrorCode.NOT_A_FEED)
    if HTML_ROOT.match(rest):
        raise html_page()
    if rest[:1] in (b"{", b"["):
        raise ParseError("this is JSON, not an RSS/Atom feed", code=ErrorCode.NOT_A_FEED)
    if rest[:1] != b"<":
        raise ParseError("this is plain text, not an RSS/Atom feed", code=ErrorCode.NOT_A_FEED)


def html_page() -> ParseError:
    return ParseError("this is an HTML page, not an RSS/Atom feed", code=ErrorCode.NOT_A_FEED)
