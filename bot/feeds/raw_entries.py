"""Rules every format's reader follows when it makes a ``RawEntry``, written
once so that which parser read a document never changes an item: links
resolved as feedparser resolves them, an RSS text told HTML or plain by
feedparser's own rule, character references too long to be a character
defused."""

from __future__ import annotations

import html.entities
import re
from urllib.parse import urljoin

import feedparser.sanitizer

from bot.core.text import HUGE_CHARREF

# An absolute http(s) URL that urljoin returns unchanged: a plain host, and a
# path, query and fragment of URL characters, none of them empty.
PLAIN_ABSOLUTE = re.compile(
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


def feed_urljoin(base: str, uri: str) -> str:
    """``uri`` resolved against ``base`` as feedparser resolves them (its
    ``_urljoin``: extra slashes after the scheme dropped; '' when unjoinable)."""
    uri = uri.strip()
    if PLAIN_ABSOLUTE.fullmatch(uri):
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
    if "</" not in text and "&" not in text:
        return False  # neither search below could match: most plain titles
    if not (_CLOSE_TAG.search(text) or _ANY_ENTITY.search(text)):
        return False
    if any(t.lower() not in _ACCEPTABLE_ELEMENTS for t in _OPEN_OR_CLOSE_TAG.findall(text)):
        return False
    return all(e in html.entities.entitydefs for e in _NAMED_ENTITY.findall(text))


def defuse_text_refs(text: str) -> str:
    """``text`` with character references too long to denote any character
    replaced: escaped ones (``&amp;#9999…;``) reach entry HTML as text, and an
    HTML unescaper's int() would raise on them later."""
    if "&#" not in text:
        return text
    return HUGE_CHARREF.sub("&#xFFFD;", text)
