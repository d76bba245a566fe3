"""The driver-bound multi-row INSERT stores what Core's executemany stores, and the
SQLite datetime processor writes what SQLAlchemy's own chain writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.dialects import sqlite

from bot.core.items import FeedSeed
from bot.storage import migrate
from bot.storage import tables as t
from bot.storage.bulk import BulkInsert
from bot.storage.engine import make_engine
from bot.storage.store import Store

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
COLUMNS = ("feed_id", "key", "guid", "url", "title", "summary", "source", "published",
           "published_text", "first_seen", "date_was_replaced", "title_made")  # fmt: skip


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    engine = make_engine(db_url)
    await migrate.upgrade(engine)
    s = Store(engine)
    yield s
    await s.close()


def item(feed_id: int, n: int) -> tuple[Any, ...]:
    zone = timezone(timedelta(hours=n % 5 - 2))
    return (
        feed_id,
        f"k{n}",
        None if n % 3 else f"guid-{n}",
        f"https://news.example.com/{n}" if n % 4 else None,
        f"Story {n} ‘quoted’",
        "" if n % 2 else "A summary\nof two lines",
        "Feed",
        (T0 + timedelta(minutes=n, microseconds=n * 7)).astimezone(zone),
        None if n % 2 else "Sun, 01 Nov 2026 12:00:00 GMT",
        T0,
        n % 2 == 0,
        n % 3 == 0,
    )


async def test_bulk_rows_are_stored_as_core_stores_them(store: Store) -> None:
    await store.sync_feeds(
        [FeedSeed(f"https://feeds.example.com/{n}", "Feed", 600) for n in (1, 2)], T0
    )
    bulk_feed, core_feed = (f.id for f in await store.feeds())
    rows = [item(bulk_feed, n) for n in range(7)]
    async with store.engine.begin() as conn:
        insert = BulkInsert(
            conn.dialect,
            t.items,
            COLUMNS,
            "ON CONFLICT (feed_id, key) DO NOTHING RETURNING id, feed_id, key",
        )
        first: list[Any] = []
        again: list[Any] = []
        await insert.run(conn, rows[:3], first.append)
        # A row already stored is skipped and not returned; the others are.
        await insert.run(conn, iter(rows[2:]), again.append)
        await conn.execute(
            t.items.insert(), [dict(zip(COLUMNS, (core_feed, *r[1:]), strict=True)) for r in rows]
        )
    assert [r.key for r in first] == ["k0", "k1", "k2"]
    assert sorted(r.key for r in again) == ["k3", "k4", "k5", "k6"]
    async with store.engine.connect() as conn:
        # As stored (text, not read back through the column types).
        stored = (await conn.execute(text("SELECT * FROM items ORDER BY key"))).mappings().all()
    by_feed: dict[int, list[dict[str, Any]]] = {bulk_feed: [], core_feed: []}
    for r in stored:
        by_feed[r["feed_id"]].append({k: v for k, v in r.items() if k not in ("id", "feed_id")})
    assert by_feed[bulk_feed] == by_feed[core_feed]
    assert len(by_feed[bulk_feed]) == 7


async def test_items_read_back_as_they_were_given(store: Store) -> None:
    await store.sync_feeds([FeedSeed("https://feeds.example.com/1", "Feed", 600)], T0)
    [feed] = await store.feeds()
    rows = [item(feed.id, n) for n in range(3)]
    async with store.engine.begin() as conn:
        await BulkInsert(conn.dialect, t.items, COLUMNS, "").run(conn, rows)
        got = (await conn.execute(select(*(t.items.c[c] for c in COLUMNS)))).all()
    assert sorted(tuple(r) for r in got) == sorted(rows)


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
        ),
    )
)
def test_the_sqlite_datetime_processor_writes_what_sqlalchemys_chain_writes(
    value: datetime,
) -> None:
    dialect = sqlite.dialect()
    fast = t.UTC.dialect_impl(dialect).bind_processor(dialect)
    reference = sqlite.DATETIME().bind_processor(dialect)
    assert fast is not None and reference is not None
    assert fast(value) == reference(t.UTC.process_bind_param(value, dialect))
    assert fast(None) is None


def test_a_naive_datetime_is_still_refused() -> None:
    dialect = sqlite.dialect()
    fast = t.UTC.dialect_impl(dialect).bind_processor(dialect)
    assert fast is not None
    with pytest.raises(ValueError, match="naive"):
        fast(datetime(2026, 1, 1))
