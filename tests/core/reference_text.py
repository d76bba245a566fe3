"""The plain implementations that fast paths in ``bot.core`` replaced, kept
here so property tests can hold the fast ones to exactly their results."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import SplitResult, urlsplit, urlunsplit

from bot.core.html_text import (
    _BLOCK_TAGS,
    _INVISIBLE_TAGS,
    _SIMPLE_TAG,
    _TextExtractor,
)
from bot.core.text import HUGE_CHARREF, UNWANTED
from bot.core.urls import _netloc, _strip_tracking

_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def clean_text(text: str) -> str:
    """``bot.core.html_text.clean_text`` without its printable-text shortcut."""
    return UNWANTED.sub("", text)


def single_line(text: str) -> str:
    """``bot.core.html_text.single_line`` without its single-spaced shortcut."""
    return " ".join(text.split())


def canonical_url(url: str) -> str:
    """``bot.core.urls.canonical_url`` read through urlsplit/urlunsplit alone."""
    text = " ".join(UNWANTED.sub("", url).split())
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if not parts.netloc:
        return urlunsplit(parts._replace(scheme=scheme, fragment="")).strip()
    netloc = _netloc(scheme, (parts.hostname or "").rstrip("."), port)
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or ("/" if scheme in ("http", "https") else "")
    return urlunsplit(SplitResult(scheme, netloc, path, _strip_tracking(parts.query), "")).strip()


def simple_html_to_text(html: str) -> str | None:
    """The markup fast path, tag by tag."""
    parts: list[str] = []
    at = 0
    for tag in _SIMPLE_TAG.finditer(html):
        segment = html[at : tag.start()]
        if "<" in segment or ">" in segment:
            return None
        parts.append(unescape(segment))
        name = tag.group(1).lower()
        if name in _INVISIBLE_TAGS:
            return None
        if name in _BLOCK_TAGS:
            parts.append("\n")
        at = tag.end()
    rest = html[at:]
    if "<" in rest or ">" in rest:
        return None
    parts.append(unescape(rest))
    return "".join(parts)


def html_to_text(html: str) -> str:
    """``bot.core.html_text.html_to_text`` with its spaces collapsed by regular
    expressions."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        text = html
    else:
        if "&#" in html:
            html = HUGE_CHARREF.sub("\ufffd", html)
        simple = simple_html_to_text(html)
        if simple is not None:
            text = simple
        else:
            extractor = _TextExtractor()
            extractor.feed(html)
            extractor.close()
            text = "".join(extractor.parts)
    text = clean_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES.sub(" ", text)
    if "\n" in text:
        text = _NEWLINES.sub("\n", text)
    return text.strip()
