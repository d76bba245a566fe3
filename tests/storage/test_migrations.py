"""Migrations: upgrade → downgrade → upgrade on each backend, and the models
match the migrated schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import migrate
from bot.storage.engine import make_engine
from bot.storage.tables import metadata


def _diff(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(ctx, metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) - {"alembic_version"}


async def test_upgrade_downgrade_upgrade_and_models_match(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set(metadata.tables)
            assert await conn.run_sync(_diff) == []
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    from sqlalchemy import text

    engine = make_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
    finally:
        await engine.dispose()


async def test_0003_removes_duplicate_posts_then_refuses_them(db_url: str) -> None:
    """A database where overlapping runs queued an item's post twice: the
    upgrade keeps one (the sent one), keeps distinct fact changes of one item,
    and from then on the schema refuses a second post of an item."""
    from datetime import UTC, datetime

    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(db_url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        await migrate.upgrade(engine, "0002")
        async with engine.begin() as conn:
            await _feed_and_item(conn, now, key="k")
            await conn.execute(
                text(
                    "INSERT INTO subscriptions (id, platform, channel, storyline, enabled, "
                    "created_at) VALUES (1, 'slack', 'C1', 'dod-dispute', true, :now)"
                ),
                {"now": now},
            )
            rows = [
                (1, '{"kind": "coverage", "title": "T"}', "pending"),
                (2, '{"kind": "coverage", "title": "T"}', "sent"),
                (3, '{"kind": "fact_change", "title": "X changed", "text": "a"}', "sent"),
                (4, '{"kind": "fact_change", "title": "Y changed", "text": "b"}', "sent"),
                (5, '{"kind": "fact_change", "title": "Y changed", "text": "b"}', "pending"),
            ]
            for row_id, payload, status in rows:
                await conn.execute(
                    text(
                        "INSERT INTO outbox (id, subscription_id, kind, payload, item_id, status, "
                        "attempts, created_at) VALUES (:id, 1, 'reply', :payload, 1, :status, 0, "
                        ":now)"
                    ),
                    {"id": row_id, "payload": payload, "status": status, "now": now},
                )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            left = (await conn.execute(text("SELECT id FROM outbox ORDER BY id"))).scalars()
            assert list(left) == [2, 3, 4]
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO outbox (subscription_id, kind, topic, payload, item_id, "
                        "status, attempts, created_at) VALUES (1, 'reply', '', '{}', 1, "
                        "'pending', 0, :now)"
                    ),
                    {"now": now},
                )
    finally:
        await engine.dispose()


async def test_0008_flags_no_item_stored_before_it(db_url: str) -> None:
    """Items stored before 0008 were never checked: they read as dated by their
    feed (no "first seen" note), and new items may carry the flag."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    engine = make_engine(db_url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        await migrate.upgrade(engine, "outbox_unreachable")
        async with engine.begin() as conn:
            await _feed_and_item(conn, now, key="old")
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO items (id, feed_id, key, title, summary, source, published, "
                    "first_seen, date_was_replaced) VALUES (2, 1, 'new', 'T', '', 'A', :now, "
                    ":now, true)"
                ),
                {"now": now},
            )
            flags = await conn.execute(text("SELECT key, date_was_replaced FROM items"))
            assert {key: bool(flag) for key, flag in flags} == {"old": False, "new": True}
    finally:
        await engine.dispose()


async def _feed_and_item(conn: AsyncConnection, now: datetime, *, key: str) -> None:
    """Feed 1 and its item 1 (``key``), written with the columns every migration has."""
    await conn.execute(
        text(
            "INSERT INTO feeds (id, url, name, interval_seconds, tags, origin, enabled, "
            "removed, status, failures, backlog_done, redirect_count, created_at) VALUES "
            "(1, 'https://a.example/feed', 'A', 600, '[]', 'file', true, false, 'ok', "
            "0, true, 0, :now)"
        ),
        {"now": now},
    )
    await conn.execute(
        text(
            "INSERT INTO items (id, feed_id, key, title, summary, source, published, "
            "first_seen) VALUES (1, 1, :key, 'T', '', 'A', :now, :now)"
        ),
        {"now": now, "key": key},
    )
