"""From a parsed entry to a normalised ``Entry``. Pure: no I/O, no clock.

* key: the guid, else the canonical link, else ``sha256:`` of title + date text;
  within one document, items that share a guid but have distinct links are
  told apart by the link, and items that share a guid and have no link but
  differ in title or summary by a digest of those (``document_keys``); an
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
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from bot.core.html_text import clean_text, html_to_text, single_line, truncate
from bot.core.items import Entry, RawEntry
from bot.core.titles import made_title
from bot.core.urls import canonical_url

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
    """The key of each of one document's entries (what ``normalise`` is then
    given), without reading the summaries: a poll finds most items already
    stored, and only the new ones need normalising. Items that share a guid
    but have distinct links are keyed by guid and link (a real feed reuses one
    guid for every item); items that share a guid, have no link and differ in
    title or summary, by those too (their summaries are read), so none is lost
    as a duplicate. A unique guid alone is the key; identical re-posts keep one
    key."""
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


def keyed_by_guid_alone(guids: Sequence[str | None], known: Collection[str]) -> list[bool]:
    """Which of one document's entries, given each one's guid as the parser
    reads it, ``document_keys`` keys by that guid alone into one of
    ``known``: every guid is then present and distinct, so no other part of
    an entry counts. A parser may skip reading such entries' text
    (``FeedParser.parse``'s ``known``); all False when the guids do not key
    the document alone."""
    cleaned = [_guid_text(guid) for guid in guids]
    if not known or not all(cleaned) or len(set(cleaned)) < len(cleaned):
        return [False] * len(cleaned)
    return [_bounded(guid) in known for guid in cleaned]


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
    return _guid_text(raw.guid)


def _guid_text(guid: str | None) -> str:
    return clean_text(guid).strip() if guid else ""


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


# --- URLs -----------------------------------------------------------------------------------
