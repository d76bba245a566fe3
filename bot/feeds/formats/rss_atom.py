"""RSS and Atom: feedparser-rs first, feedparser where it falls short.

feedparser-rs (Rust) reads RSS and Atom 15–30× faster than feedparser. It is
not a drop-in, so this format's reader:

* keeps our guards in front (``xml_guard``: UTF-8, entity declarations and
  absurd character references neutralised) and gives it bytes only, never
  anything it could take for a URL;
* falls back to feedparser for a document it cannot read (``ValueError``, any
  exception, a Rust panic, which pyo3 raises as a ``BaseException``), reads as
  no feed, or reads as structurally broken: fewer items than the document has
  ``<item>``/``<entry>`` tags (0.7.1 lets a self-closing ``<description/>``,
  ``<guid/>`` or ``<comments/>`` swallow the rest of the feed); and for
  documents where the item keys would rest on details the two parsers read
  differently: an item without a guid/id, guids shared between items,
  ``feedburner:origLink`` (not exposed), declared entities (not expanded),
  Atom ``type="xhtml"`` titles without their ``<div>`` (read as empty or as the
  first element's text);
* makes each item's key what feedparser would make it: permalink guids and
  Atom ids resolved the way feedparser resolves them (against the document's
  address, or the in-scope ``xml:base``), RSS links against the channel's
  ``<link>``, plain-text titles told apart from HTML ones by feedparser's own
  rule. Switching parsers therefore never re-posts an item;
* reads only the guid of an entry whose guid alone keys it into one of the
  keys the caller knows (``known``: a feed's last document), not its text,
  links and date: most of a poll's items.

Nothing is sanitised here (``sanitize_html=False``): every text becomes plain
text in ``normalise`` (tags dropped, script/style content hidden, control and
bidi characters removed), and the platforms escape what they post, so no markup
from a feed reaches a chat either way.

It is also the registry's fallback: what no format's sniff claims comes here,
is decoded as feedparser decodes it, and is refused in words when it is no
feed (``not_a_feed``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

import feedparser_rs

from bot.core.items import ParsedFeed, RawEntry
from bot.core.normalise import keyed_by_guid_alone
from bot.feeds.dates import FallbackBudget, parse_date
from bot.feeds.feedparser_adapter import FeedparserParser
from bot.feeds.not_a_feed import refuse_non_feeds
from bot.feeds.raw_entries import defuse_text_refs, feed_urljoin, looks_like_html
from bot.feeds.registry import MediaType
from bot.feeds.xml_guard import guard

# An opening <item> or <entry> tag, namespaced or not (not <items>, <entryx>).
# Possessive: ":" is no name character, so backtracking into the prefix could
# never find another match, and every other tag of the document is refused
# sooner (a fifth of this scan's cost; tests/feeds/test_parse.py checks the
# same matches as the backtracking form).
_ITEM_TAG = re.compile(rb"<(?:[\w.-]++:)?+(?:item|entry)[\s>/]")
# A <guid> start tag (not a self-closing one) and its isPermaLink attribute.
_GUID_TAG = re.compile(rb"<guid(\s[^>]*[^/>]|\s*)>")
_PERMALINK = re.compile(rb"\bispermalink\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
_ORIGLINK = b"origLink"
# An Atom title of type="xhtml" whose content is not wrapped in a <div>:
# feedparser-rs reads only the first child element's text of it ("Court
# <b>blocks</b> it" → "blocks"), or nothing when there is no element at all.
_XHTML_TITLE_WITHOUT_DIV = re.compile(
    rb"<(?:[\w.-]+:)?title\s[^>]*\btype\s*=\s*[\"']xhtml[\"'][^>]*>(?!\s*<(?:[\w.-]+:)?div[\s>/])"
)
_XHTML = b"xhtml"  # in every match of _XHTML_TITLE_WITHOUT_DIV: a cheap test first
_ENTITY_DECLARATION = b"<!ENTITY"
_FALLBACK_SKIP = (KeyboardInterrupt, SystemExit, GeneratorExit)


class RssAtom:
    """RSS 0.9x/1.0/2.0 and Atom, read by feedparser-rs with feedparser as the
    fallback. ``stats`` counts which parser read each document (``fast``,
    ``fallback``)."""

    media_types = (
        MediaType("application/rss+xml"),
        MediaType("application/atom+xml"),
        MediaType("application/rdf+xml", 0.9),
        MediaType("application/xml", 0.9),
        MediaType("text/xml", 0.9),
    )

    def __init__(self) -> None:
        self.fallback = FeedparserParser()
        self.stats: dict[str, int] = {"fast": 0, "fallback": 0}

    def sniff(self, start: bytes) -> bool:
        return start[:1] == b"<"

    def parse(
        self, body: bytes, headers: Mapping[str, str], known: Collection[str] = ()
    ) -> ParsedFeed:
        document, lower = guard(body, headers)
        refuse_non_feeds(document)
        # feedparser-rs ignores feedburner:origLink, does not expand the
        # (bounded) internal entities guard keeps, and misreads XHTML titles
        # without their <div>: feedparser reads those.
        plain = (
            _ORIGLINK not in document
            and _ENTITY_DECLARATION not in document
            and not (_XHTML in document and _XHTML_TITLE_WITHOUT_DIV.search(document))
        )
        parsed = _guarded_fast(document, lower, known) if plain else None
        if parsed is None:
            self.stats["fallback"] += 1
            return self.fallback.read(document, lower)
        self.stats["fast"] += 1
        return parsed


def _read(document: bytes) -> Any:
    """feedparser-rs's result, or None when it failed in any way (a panic too)."""
    try:
        return feedparser_rs.parse(document, sanitize_html=False)
    except _FALLBACK_SKIP:
        raise
    except BaseException:  # ValueError, and pyo3's PanicException (a BaseException)
        return None


def _guarded_fast(
    document: bytes, headers: Mapping[str, str], known: Collection[str]
) -> ParsedFeed | None:
    """``_fast``, or None when reading its result failed (a getter of the
    Rust objects can panic too): feedparser then reads the document."""
    try:
        return _fast(document, headers, known)
    except _FALLBACK_SKIP:
        raise
    except BaseException:
        return None


def _fast(document: bytes, headers: Mapping[str, str], known: Collection[str]) -> ParsedFeed | None:
    result = _read(document)
    if result is None:
        return None
    version = result.version or ""
    if not version or version.startswith("json"):
        return None
    entries = result.entries
    if len(entries) < len(_ITEM_TAG.findall(document)):
        return None  # items lost: a self-closing element swallowed them, or worse
    ids = [e.id for e in entries]
    if not all(ids) or len(set(ids)) < len(ids):
        # An item keyed by its link or title, or guids shared between items:
        # the key then rests on details (which link, which title text) where
        # the two parsers differ, so feedparser's reading keeps keys stable.
        return None
    address = headers.get("content-location") or ""
    atom = version.startswith("atom")
    permalinks = [False] * len(entries)
    if not atom:
        # feedparser resolves a guid against the address unless
        # isPermaLink="false"; feedparser-rs does not say which guid had what.
        attributes = _GUID_TAG.findall(document)
        verdicts = {attrs: _is_permalink(attrs) for attrs in set(attributes)}
        permalinks = [verdicts[attrs] for attrs in attributes]
        if len(permalinks) != len(entries):
            return None
    link_base = address if atom else feed_urljoin(address, result.feed.link or "")
    budget = FallbackBudget()
    resolved = [
        _guid_and_base(e, guid, atom, address, permalink)
        for e, guid, permalink in zip(entries, ids, permalinks, strict=True)
    ]
    skipped = keyed_by_guid_alone([guid for guid, _base in resolved], known)
    return ParsedFeed(
        title=result.feed.title or "",
        link=result.feed.link or None,
        entries=tuple(
            [
                _known_entry(guid) if skip else _entry(e, guid, base, atom, link_base, budget)
                for e, (guid, base), skip in zip(entries, resolved, skipped, strict=True)
            ]
        ),
    )


def _is_permalink(attributes: bytes) -> bool:
    found = _PERMALINK.search(attributes)
    return found is None or found.group(1) == b"true"  # feedparser compares exactly


def _guid_and_base(e: Any, guid: str, atom: bool, address: str, permalink: bool) -> tuple[str, str]:
    """The guid feedparser gives feedparser-rs's entry ``e`` whose id ``guid``
    (never empty: ``_fast`` checked) was read already, and the base an Atom
    entry's links resolve against."""
    if atom:
        # feedparser resolves Atom ids against the in-scope xml:base (itself
        # resolved against the address); feedparser-rs leaves them as written.
        detail = e.title_detail or e.summary_detail
        base = feed_urljoin(address, (detail.base if detail else None) or "")
        return feed_urljoin(base, guid), base
    return (feed_urljoin(address, guid) if permalink else guid), ""


def _known_entry(guid: str) -> RawEntry:
    """An entry whose key the caller knows: its guid alone, nothing read."""
    return RawEntry(guid=guid, link=None, title="", summary_html="", published=None, known=True)


def _entry(
    e: Any, guid: str, base: str, atom: bool, link_base: str, budget: FallbackBudget
) -> RawEntry:
    """The RawEntry of feedparser-rs's entry ``e``, whose guid (and base, for
    Atom) ``_guid_and_base`` gave."""
    link = e.link or None
    title = e.title or ""
    if atom:
        if link:
            link = feed_urljoin(base, link)
        title_is_html = e.title_detail is None or e.title_detail.type != "text/plain"
    else:
        if e.guidislink:
            link = guid  # no <link>: the permalink guid is the link, as feedparser has it
        elif link:
            link = feed_urljoin(link_base, link)
        title_is_html = looks_like_html(title)
    date_text = e.published or e.updated or None
    return RawEntry(
        guid=guid,
        link=link,
        title=defuse_text_refs(title),
        summary_html=defuse_text_refs(_summary(e)),
        published=parse_date(date_text, budget),
        published_text=date_text,
        title_is_html=title_is_html,
    )


def _summary(e: Any) -> str:
    summary = e.summary  # each read of a Rust object's field makes a new str
    if summary:
        return str(summary)
    for content in e.content or ():
        if content.value:
            return str(content.value)
    return ""
