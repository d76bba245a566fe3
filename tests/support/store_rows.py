"""Rows a poll cycle would write (outbox replies, claims), put straight into a
store, SQLite or in-memory, so a service test can start from them; and counts
read straight from the rows, which the product has no query for (people see
the outbox's backlog in ``status`` and its rows in ``threadline outbox list``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.core.facts import Claim
from bot.core.items import FeedSeed
from bot.core.posts import PostKind, Reply
from bot.storage import tables as t
from bot.storage.records import encode_post
from bot.storage.store import Store
from tests.support.memory_store import MemoryStore

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


async def queue_reply(store: Store | MemoryStore, subscription_id: int, reply: Reply) -> None:
    if isinstance(store, MemoryStore):
        store.queue(subscription_id, PostKind.REPLY, reply)
        return
    async with store.engine.begin() as conn:
        await conn.execute(
            t.outbox.insert().values(
                subscription_id=subscription_id,
                kind=PostKind.REPLY,
                payload=encode_post(PostKind.REPLY, reply.storyline, reply),
                status="pending",
                attempts=0,
                created_at=CREATED,
            )
        )


async def add_claims(store: Store | MemoryStore, claims: Sequence[Claim]) -> None:
    """Claims of one item (on SQLite a claim belongs to a stored item of a feed)."""
    if isinstance(store, MemoryStore):
        store.add_claims(claims)
        return
    feed, _ = await store.add_feed(
        FeedSeed("https://claims.example/feed", "c", 900), "test", CREATED
    )
    async with store.engine.begin() as conn:
        item_id = await conn.scalar(
            t.items.insert()
            .returning(t.items.c.id)
            .values(
                feed_id=feed.id,
                key="k",
                title="t",
                summary="",
                source="c",
                published=CREATED,
                first_seen=CREATED,
            )
        )
        await conn.execute(
            t.claims.insert(),
            [
                {
                    "storyline": c.storyline,
                    "fact": c.fact,
                    "value": c.value,
                    "published": c.published,
                    "source": c.source,
                    "url": c.url,
                    "attribution": c.attribution,
                    "evidence": c.evidence,
                    "item_id": item_id,
                    "item_key": c.item_key,
                }
                for c in claims
            ],
        )


async def outbox_statuses(store: Store | MemoryStore) -> dict[str, int]:
    """How many outbox rows are in each status (``pending``, ``sent`` …)."""
    if isinstance(store, MemoryStore):
        return dict(Counter(r.status for r in store._outbox.values()))
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(t.outbox.c.status, func.count()).group_by(t.outbox.c.status)
        )
        return {status: int(count) for status, count in rows}


async def item_count(store: Store) -> int:
    """How many items are stored, in every feed."""
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(t.items)) or 0)
