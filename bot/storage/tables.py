"""The schema. Alembic migrations in ``migrations/`` create exactly this
(``tests/storage/test_migrations.py`` compares them)."""

from __future__ import annotations

from datetime import UTC as _UTC
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC")
        value = value.astimezone(_UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # One call per value instead of three (this class's, then the SQLite
        # DATETIME type's formatting): a first poll binds 100,000 datetimes.
        # ``isoformat`` writes SQLite DATETIME's storage format,
        # "YYYY-MM-DD HH:MM:SS.ffffff", before the "+00:00" the slice drops
        # (tests/storage/test_records.py holds it to the reference).
        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the database; use aware UTC")
            return value.astimezone(_UTC).isoformat(" ", "microseconds")[:26]

        return process

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


UTC = UTCDateTime()

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("interval_seconds", Integer, nullable=False),
    Column("tags", JSON, nullable=False, default=list),
    # file | cli | chat — where the feed was added; a removed feed keeps its row
    # (removed=True) so the seed file does not bring it back.
    Column("origin", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("removed", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False, default="new"),
    Column("last_error", Text),
    Column("error_code", String(64)),
    Column("failures", Integer, nullable=False, default=0),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("body_hash", String(64)),
    Column("backlog_done", Boolean, nullable=False, default=False),
    Column("redirect_url", Text),
    # The URL the feed was added with, once a permanent redirect moved it elsewhere.
    Column("seed_url", Text),
    Column("redirect_count", Integer, nullable=False, default=0),
    Column("last_polled_at", UTC),
    Column("last_success_at", UTC),
    Column("next_poll_at", UTC),
    Column("lease_owner", String(64)),
    Column("lease_until", UTC),
    Column("created_at", UTC, nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("key", Text, nullable=False),
    Column("guid", Text),
    Column("url", Text),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("published", UTC, nullable=False),
    Column("published_text", Text),
    Column("first_seen", UTC, nullable=False),
    # The feed gave no usable date (none, unreadable, or more than a day ahead):
    # ``published`` is ``first_seen``, and replies say so.
    Column("date_was_replaced", Boolean, nullable=False, default=False, server_default=false()),
    # The feed gave no headline: ``title`` was made from the summary or link.
    Column("title_made", Boolean, nullable=False, default=False, server_default=false()),
    # The first item of the same story (another outlet, same event); NULL for originals.
    Column("story_of", Integer, ForeignKey("items.id", ondelete="SET NULL")),
    UniqueConstraint("feed_id", "key", name="uq_items_feed_key"),
)
Index("ix_items_published", items.c.published)
Index("ix_items_url", items.c.url)

matches = Table(
    "matches",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("storyline", String(100), primary_key=True),
    Column("score", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
)
Index("ix_matches_storyline", matches.c.storyline)

claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("storyline", String(100), nullable=False),
    Column("fact", String(100), nullable=False),
    Column("value", Text, nullable=False),
    Column("published", UTC, nullable=False),
    Column("source", Text, nullable=False),
    Column("url", Text),
    Column("attribution", Text),
    Column("evidence", Text, nullable=False, default=""),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("item_key", Text, nullable=False),
    UniqueConstraint("item_id", "storyline", "fact", "value", name="uq_claims_item_fact"),
)
Index("ix_claims_fact", claims.c.storyline, claims.c.fact)

# What the channels were last told about each fact (the resolved state).
fact_states = Table(
    "fact_states",
    metadata,
    Column("storyline", String(100), primary_key=True),
    Column("fact", String(100), primary_key=True),
    Column("value", Text),
    Column("since", UTC),
    Column("source", Text),
    Column("url", Text),
    Column("disputed", Boolean, nullable=False, default=False),
    Column("contenders", JSON, nullable=False, default=list),
    Column("updated_at", UTC, nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("channel", String(100), nullable=False),
    Column("workspace", String(100)),
    Column("storyline", String(100), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("disabled_reason", Text),
    Column("root_message_id", String(100)),
    Column("thread_id", String(100)),
    Column("created_at", UTC, nullable=False),
    # A daily digest of the coverage (NULL: every item is posted at once): the
    # local time "HH:MM" and its IANA zone, and when the gathering started
    # (the last digest, or when the digest was turned on).
    Column("digest_at", String(5)),
    Column("digest_tz", String(64)),
    Column("digest_since", UTC),
    UniqueConstraint("platform", "channel", "storyline", name="uq_subscriptions_target"),
)

# One row per digest produced (subscription, local day): the insert that wins
# produces it, so several instances produce each digest once.
digests = Table(
    "digests",
    metadata,
    Column(
        "subscription_id",
        Integer,
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("day", String(10), primary_key=True),
    Column("items", Integer, nullable=False),
    Column("outbox_id", Integer, ForeignKey("outbox.id", ondelete="SET NULL")),
    Column("created_at", UTC, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "subscription_id",
        Integer,
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # root | reply | edit_root | edit | digest_item. Root cards and reply edits
    # are rendered at send time from the current state, so a late one is never
    # stale; digest_item rows are held for a digest, never sent.
    Column("kind", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="SET NULL")),
    # Tells apart the posts one item may cause in one thread: '' for its coverage
    # reply, the fact and new value for each change it announces.
    Column("topic", String(200), nullable=False, default="", server_default=""),
    # pending | sending | sent | failed | skipped | held | digested
    Column("status", String(16), nullable=False, default="pending"),
    # Answers from the platform that refused or failed this row; a try that found
    # the platform unreachable (refused, reset, timed out) counts in ``unreachable``.
    Column("attempts", Integer, nullable=False, default=0),
    Column("unreachable", Integer, nullable=False, default=0, server_default="0"),
    Column("next_attempt_at", UTC),
    Column("last_error", Text),
    Column("message_id", String(100)),
    Column("lease_owner", String(64)),
    Column("lease_until", UTC),
    Column("created_at", UTC, nullable=False),
    Column("sent_at", UTC),
)
Index("ix_outbox_status", outbox.c.status, outbox.c.id)
# An item is posted at most once per thread and topic, whatever processes overlap
# (inserts do nothing on conflict). Rows without an item are not constrained.
Index(
    "uq_outbox_item_target",
    outbox.c.item_id,
    outbox.c.subscription_id,
    outbox.c.kind,
    outbox.c.topic,
    unique=True,
)

# What configuration file was last synced into the database (its content's
# sha256), so an unchanged feeds.yaml is not re-synced by every command.
config_sync = Table(
    "config_sync",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("synced_at", UTC, nullable=False),
)
