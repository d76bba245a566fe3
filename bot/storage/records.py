"""Rows as the application sees them, and the conversions from database rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from bot.core.items import Entry, Feed
from bot.core.posts import DigestItem, MessageRef, PostKind, Reply
from bot.core.subscriptions import ChannelAddress, DigestSchedule, Subscription
from bot.core.text import strip_controls


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """What a poll learned about one feed; written with the cycle's items."""

    feed_id: int
    status: str
    polled_at: datetime
    next_poll_at: datetime
    success: bool
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    validators_changed: bool = False
    backlog_done: bool = False
    failures: int = 0
    error_code: str | None = None
    last_error: str | None = None
    enabled: bool = True
    redirect_url: str | None = None
    redirect_count: int = 0
    url: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A claimed outbox row: ``reply`` is set for ``PostKind.REPLY`` rows."""

    id: int
    subscription: Subscription
    kind: PostKind
    reply: Reply | None
    attempts: int
    status: str
    unreachable: int = 0


@dataclass(frozen=True, slots=True)
class EditTarget:
    """What an ``edit`` row edits: the coverage reply (outbox row ``row_id``,
    ``status``, ``message_id`` once sent, the ``reply`` as sent) and the
    ``outlets`` that reported its story since, newest first."""

    row_id: int
    status: str
    message_id: str | None
    reply: Reply
    outlets: tuple[str, ...]


# The outbox stores a message as JSON: these two are the only way in and out.
_REPLY_FIELDS = frozenset(f.name for f in fields(Reply))


def encode_post(kind: PostKind, storyline: str, reply: Reply | None) -> dict[str, Any]:
    """The payload column of an outbox row. Root cards and their edits carry
    only the storyline: they are rendered at send time from the current states."""
    if kind is PostKind.REPLY:
        if reply is None:
            raise ValueError("a reply row needs its reply")
        payload = asdict(reply)
        payload["also"] = list(reply.also)
        if not reply.items:
            del payload["items"]  # rows of other replies stay as they were
        return payload
    return {"storyline": storyline}


def decode_reply(kind: PostKind, payload: dict[str, Any]) -> Reply | None:
    """The reply an outbox row sends (None for root cards and edits). Keys that
    are not fields (rows written by another version) are ignored."""
    if kind is not PostKind.REPLY:
        return None
    known = {k: v for k, v in payload.items() if k in _REPLY_FIELDS}
    known["also"] = tuple(known.get("also") or ())
    known["items"] = tuple(_digest_item(d) for d in known.get("items") or ())
    return Reply(**known)


_DIGEST_ITEM_FIELDS = frozenset(f.name for f in fields(DigestItem))


def _digest_item(data: dict[str, Any]) -> DigestItem:
    return DigestItem(**{k: v for k, v in data.items() if k in _DIGEST_ITEM_FIELDS})


def plain_text(text: str | None, limit: int = 1000) -> str | None:
    """An error message fit for a text column: PostgreSQL refuses NUL, and
    control characters have no business in what `feeds list` shows."""
    return None if text is None else strip_controls(text, " ")[:limit]


def feed_from_row(row: Any) -> Feed:
    return Feed(
        id=row.id,
        url=row.url,
        name=row.name,
        interval_seconds=row.interval_seconds,
        enabled=row.enabled,
        status=row.status,
        failures=row.failures,
        last_error=row.last_error,
        error_code=row.error_code,
        etag=row.etag,
        last_modified=row.last_modified,
        body_hash=row.body_hash,
        backlog_done=row.backlog_done,
        origin=row.origin,
        tags=tuple(row.tags or ()),
        redirect_url=row.redirect_url,
        redirect_count=row.redirect_count,
        last_polled_at=row.last_polled_at,
        next_poll_at=row.next_poll_at,
        last_success_at=row.last_success_at,
    )


def subscription_from_row(row: Any) -> Subscription:
    root = MessageRef(row.root_message_id, row.thread_id) if row.root_message_id else None
    return Subscription(
        id=row.id,
        address=ChannelAddress(row.platform, row.channel, row.workspace),
        storyline=row.storyline,
        enabled=row.enabled,
        root=root,
        disabled_reason=row.disabled_reason,
        digest=DigestSchedule(row.digest_at, row.digest_tz or "UTC") if row.digest_at else None,
        digest_since=row.digest_since,
    )


def entry_from_row(row: Any) -> Entry:
    return Entry(
        feed_id=row.feed_id,
        key=row.key,
        guid=row.guid,
        url=row.url,
        title=row.title,
        summary=row.summary,
        published=row.published,
        first_seen=row.first_seen,
        source=row.source,
        published_text=row.published_text,
        date_was_replaced=row.date_was_replaced,
        title_made=row.title_made,
    )
