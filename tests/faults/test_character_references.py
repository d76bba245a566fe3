"""Numeric character references to characters XML forbids used to make
feedparser raise (``chr()`` past U+10FFFF, an int too large for C, a lone
surrogate) and so lose every entry of the feed. They now cost one character."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.normalise import normalise
from bot.feeds.feedparser_adapter import FeedparserParser

BAD_REFERENCES = [
    "&#x110000;",
    "&#1114112;",
    "&#99999999999;",
    "&#" + "9" * 5000 + ";",
    "&#xD800;",
    "&#0;",
    "&#x0;",
    "&#x1b;",
    "&#x7;",
    "&#xFFFE;",
    "&#" + "0" * 5000 + "1;",  # leading zeros: still a control character
]


def feed(title: str, description: str = "plain", link: str = "https://n.example/1") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Refs</title>'
        f"<item><guid>1</guid><title>{title}</title><description>{description}</description>"
        f"<link>{link}</link></item>"
        "<item><guid>2</guid><title>The other entry</title></item>"
        "</channel></rss>"
    ).encode()


@pytest.mark.parametrize("reference", BAD_REFERENCES)
@pytest.mark.parametrize("where", ["title", "description", "link"])
def test_a_bad_reference_costs_one_character_not_the_feed(reference: str, where: str) -> None:
    body = {
        "title": feed(f"before {reference} after"),
        "description": feed("title", f"before {reference} after"),
        "link": feed("title", link=f"https://n.example/?q={reference}"),
    }[where]
    parsed = FeedparserParser().parse(body, {"content-type": "application/rss+xml"})
    assert [e.title for e in parsed.entries][1] == "The other entry"
    first = parsed.entries[0]
    text = {"title": first.title, "description": first.summary_html, "link": first.link}[where]
    assert text is not None and "\ufffd" in text
    entry = normalise(first, feed_id=1, source="Refs", first_seen=datetime.now(UTC))
    assert not any(ord(c) < 32 and c not in "\t\n" for c in entry.title + entry.summary)


def test_valid_references_are_kept() -> None:
    body = feed("&#65;&#x42; &#x1F600; &#233;t&#xE9; &#38; &#x00000043;&#" + "0" * 5000 + "68;")
    (first, _) = FeedparserParser().parse(body).entries
    assert first.title == "AB \U0001f600 été & CD"


@pytest.mark.parametrize(
    "escaped",
    ["&amp;#" + "9" * 5000 + ";", "&amp;#x110000;", "&amp;#99999999999;", "&amp;#0;"],
)
def test_escaped_references_to_no_character_are_defused(escaped: str) -> None:
    # Escaped, the reference survives XML parsing as HTML text, which feedparser
    # and then normalise unescape: 5,000 digits made both raise.
    (first, _) = FeedparserParser().parse(feed("title", f"x {escaped} y")).entries
    entry = normalise(first, feed_id=1, source="Refs", first_seen=datetime.now(UTC))
    assert entry.summary == "x \ufffd y"


def test_a_huge_escaped_reference_without_semicolon_does_not_reach_normalise() -> None:
    # Not a reference to feedparser, but Python's html.unescape reads it as one.
    (first, _) = FeedparserParser().parse(feed("title", "x &amp;#" + "9" * 5000 + " y")).entries
    entry = normalise(first, feed_id=1, source="Refs", first_seen=datetime.now(UTC))
    assert entry.summary == "x \ufffd y"
