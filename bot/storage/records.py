"""Rows as the application sees them, and the conversions from database rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.models import (
    ChannelAddress,
    Entry,
    Feed,
    MessageRef,
    Subscription,
)
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
    id: int
    subscription: Subscription
    kind: str
    payload: dict[str, Any]
    attempts: int
    status: str


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
    )
