"""From a parsed entry to a normalised ``Entry``. Pure: no I/O, no clock.

* key: the guid, else the canonical link, else ``sha256:`` of title + date text;
  within one document, items that share a guid but have distinct links are
  told apart by the link, and items that share a guid and have no link but
  differ in title or summary by a digest of those (``keep_apart``); an
  identical re-post keeps one key, so it is still stored once;
* title: plain text stays as written (``<int>`` is text); an HTML title and
  the summary: HTML to plain text, entities decoded, whitespace
  collapsed, control characters removed, absurd lengths cut at a word; no
  title at all: one made from the summary or link, flagged (``bot.core.titles``);
* url: canonical (see ``canonical_url``), and only http(s);
* published: the feed's date unless it is missing, unreadable, in the future
  (more than ``future_slack``, a day, ahead) or the epoch-zero placeholder of broken feeds;
  then ``first_seen``, with ``date_was_replaced`` set and the text kept.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from urllib.parse import SplitResult, urlsplit, urlunsplit

from bot.core.items import Entry, RawEntry
from bot.core.text import HUGE_CHARREF, UNWANTED
from bot.core.titles import made_title

MAX_TITLE = 500
MAX_SUMMARY = 4000
MAX_KEY = 512
# HTML beyond this is not read: it cannot be needed for a 4000-character summary
# unless it is nearly all markup, and it bounds the work per entry.
MAX_HTML_READ = 100_000
EARLIEST_PLAUSIBLE = datetime(1970, 1, 2, tzinfo=UTC)
# A date further ahead than this is a feed's mistake (a wrong zone, a
# scheduled post), not a publication time: the item is dated when first seen.
FUTURE_SLACK = timedelta(days=1)

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt.mc_id",
        "cmpid",
        "ocid",
        "ncid",
        "sr_share",
        "smid",
        "at_medium",
        "at_campaign",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "at_")

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
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise(
    raw: RawEntry,
    *,
    feed_id: int,
    source: str,
    first_seen: datetime,
    future_slack: timedelta = FUTURE_SLACK,
    key: str | None = None,
) -> Entry:
    """Normalise one parsed entry of feed ``feed_id`` (named ``source``),
    first seen at ``first_seen`` (aware UTC). ``key``, when given, is the one
    ``document_keys`` computed for it (within its document)."""
    title = _title(raw)
    summary = _summary(raw)
    url = _entry_url(raw.link)
    guid = _guid(raw)
    published_text = clean_text(raw.published_text).strip() if raw.published_text else None
    published, replaced = _publication_date(raw.published, first_seen, future_slack)
    return Entry(
        feed_id=feed_id,
        # The feed's own title (possibly empty) keys the item, never a made one.
        key=key or _key(guid, url, title, published_text or ""),
        guid=guid or None,
        url=url,
        title=title or made_title(summary, url, source),
        title_made=not title,
        summary=summary,
        published=published,
        first_seen=first_seen,
        source=source,
        published_text=published_text or None,
        date_was_replaced=replaced,
    )


def document_keys(raws: Sequence[RawEntry]) -> list[str]:
    """The key of each of one document's entries, as ``normalise`` and then
    ``keep_apart`` give them, without reading the summaries: a poll finds
    most items already stored, and only the new ones need normalising (the
    summaries of items sharing a guid are read, to tell them apart)."""
    guids = [_guid(raw) for raw in raws]
    counts = Counter(guid for guid in guids if guid)
    parts: list[tuple[str, str | None, str]] = []
    for raw, guid in zip(raws, guids, strict=True):
        if guid and counts[guid] == 1:
            # A guid of its own is the key: the link only matters where guids
            # collide, and canonicalising every link of every poll is most of
            # the keying's cost.
            parts.append((guid, None, _bounded(guid)))
            continue
        url = _entry_url(raw.link)
        if guid or url:
            parts.append((guid, url, _key(guid, url, "", "")))
        else:
            date = clean_text(raw.published_text).strip() if raw.published_text else ""
            parts.append((guid, url, _key(guid, url, _title(raw), date)))
    shared = _shared_guids((guid, url) for guid, url, _ in parts if counts[guid] > 1)
    keys = [_bounded(f"{guid} {url or ''}") if guid in shared else key for guid, url, key in parts]

    def text(i: int) -> str:
        raw = raws[i]
        return _identity_text(_title(raw), _summary(raw))

    linkless = [bool(guid) and url is None for guid, url, _ in parts]
    return _apart_by_text(keys, linkless, text)


def keep_apart(entries: Sequence[Entry]) -> list[Entry]:
    """``entries`` (one document's), where items share a guid but have
    distinct links (a real feed reuses one guid for every item), each keyed
    by guid and link, and where items share a guid, have no link and differ
    in title or summary, each keyed by those too, so none is lost as a
    duplicate. Items with a unique guid keep the guid alone as their key;
    identical re-posts keep one key."""
    shared = _shared_guids((e.guid, e.url) for e in entries)
    if shared:
        entries = [
            replace(e, key=_bounded(f"{e.guid} {e.url or ''}")) if e.guid in shared else e
            for e in entries
        ]

    def text(i: int) -> str:
        e = entries[i]
        return _identity_text("" if e.title_made else e.title, e.summary)

    linkless = [bool(e.guid) and e.url is None for e in entries]
    keys = _apart_by_text([e.key for e in entries], linkless, text)
    return [e if e.key == k else replace(e, key=k) for e, k in zip(entries, keys, strict=True)]


def _apart_by_text(
    keys: Sequence[str], linkless: Sequence[bool], text: Callable[[int], str]
) -> list[str]:
    """``keys``, where items with a guid and no link got one key but differ in
    ``text(i)`` (their feed title and summary): each then keyed by that key and
    a digest of its text. Items whose text is the same (a re-post) keep one key;
    so do items with a link (one guid and one link is one article, edited)."""
    groups: dict[str, list[int]] = {}
    for i, (key, candidate) in enumerate(zip(keys, linkless, strict=True)):
        if candidate:
            groups.setdefault(key, []).append(i)
    out = list(keys)
    for key, members in groups.items():
        if len(members) < 2:
            continue
        digests = {i: _digest(text(i)) for i in members}
        if len(set(digests.values())) > 1:
            for i in members:
                out[i] = _bounded(f"{key} {digests[i]}")
    return out


def _identity_text(title: str, summary: str) -> str:
    return f"{title}\n{summary}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _summary(raw: RawEntry) -> str:
    return truncate(html_to_text(raw.summary_html[:MAX_HTML_READ]), MAX_SUMMARY)


def _shared_guids(pairs: Iterable[tuple[str | None, str | None]]) -> set[str]:
    """The guids given to items with distinct links."""
    links: dict[str, set[str | None]] = {}
    for guid, url in pairs:
        if guid:
            links.setdefault(guid, set()).add(url)
    return {guid for guid, urls in links.items() if len(urls) > 1}


def _title(raw: RawEntry) -> str:
    text = raw.title[:MAX_HTML_READ]
    text = html_to_text(text) if raw.title_is_html else clean_text(text)
    return truncate(single_line(text), MAX_TITLE)


def _guid(raw: RawEntry) -> str:
    return clean_text(raw.guid).strip() if raw.guid else ""


def _bounded(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _key(guid: str, url: str | None, title: str, date_text: str) -> str:
    for candidate in (guid, url):
        if candidate:
            return _bounded(candidate)
    basis = f"{title}\n{date_text}".encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(basis).hexdigest()


def _publication_date(
    published: datetime | None, first_seen: datetime, future_slack: timedelta
) -> tuple[datetime, bool]:
    if published is None:
        return first_seen, True
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    published = published.astimezone(UTC)
    if published > first_seen + future_slack or published < EARLIEST_PLAUSIBLE:
        return first_seen, True
    return published, False


def _entry_url(link: str | None) -> str | None:
    if not link:
        return None
    url = canonical_url(link)
    # Only web links are worth posting; javascript:, data:, relative … are dropped.
    if not url.startswith(("http://", "https://")):
        return None
    return url


# --- text -----------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """``text`` without NUL and other control characters (tab and newline
    kept), bidi overrides, line/paragraph separators, noncharacters and lone
    surrogates."""
    return UNWANTED.sub("", text)


def single_line(text: str) -> str:
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


def _simple_html_to_text(html: str) -> str | None:
    """What ``_TextExtractor`` gives, for the plain markup most feeds send
    (tags with simple attributes, entities, no comments, scripts or stray
    ``<``), several times faster; None for anything else."""
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
        html = HUGE_CHARREF.sub("\ufffd", html)
        simple = _simple_html_to_text(html)
        if simple is not None:
            text = simple
        else:
            extractor = _TextExtractor()
            extractor.feed(html)
            extractor.close()
            text = "".join(extractor.parts)
    text = clean_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()


# --- URLs -----------------------------------------------------------------------------------


def canonical_url(url: str) -> str:
    """The form of ``url`` used to recognise the same article: scheme and host
    lower-cased, default port and fragment dropped, tracking parameters
    (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid`` …) removed; every other
    query parameter is kept in its order and spelling. Never raises: a URL
    it cannot parse comes back stripped of whitespace and control characters."""
    text = single_line(clean_text(url))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if not parts.netloc:
        # Stripped again: dropping a fragment can leave trailing space.
        return urlunsplit(parts._replace(scheme=scheme, fragment="")).strip()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or ("/" if scheme in _DEFAULT_PORTS else "")
    return urlunsplit(SplitResult(scheme, netloc, path, _strip_tracking(parts.query), "")).strip()


def _strip_tracking(query: str) -> str:
    if not query:
        return ""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = pair.split("=", 1)[0].lower()
        if name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES):
            continue
        kept.append(pair)
    return "&".join(kept)
