"""Items, matches, claims and fact states: what a poll cycle records, in one transaction."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, bindparam, exists, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.facts import Claim, FactKey, FactView
from bot.core.items import Entry
from bot.core.posts import PostKind
from bot.ports import FeedUpdate
from bot.storage import tables as t
from bot.storage.base import KEYS_PER_QUERY, ROWS_PER_INSERT, Part
from bot.storage.bulk import BulkInsert, placeholders
from bot.storage.feed_store import FeedRecords
from bot.storage.records import (
    encode_post,
    entry_from_row,
)

if TYPE_CHECKING:
    from bot.core.decide import Decision


class ItemRecords(Part):
    """Items, matches, claims and fact states. A cycle's record includes its
    feeds' poll results, written through the feed part in the same transaction."""

    def __init__(self, engine: AsyncEngine, feeds: FeedRecords) -> None:
        super().__init__(engine)
        self.feeds = feeds
        # Conflict-do-nothing on (feed_id, key): an item a concurrent cycle
        # stored first is theirs, and RETURNING leaves it out.
        self._insert_items = BulkInsert(
            engine.dialect,
            t.items,
            _ITEM_COLUMNS,
            "ON CONFLICT (feed_id, key) DO NOTHING RETURNING id, feed_id, key",
        )

    async def known_item_keys(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (feed_id, key) pairs are stored: one query per chunk for a whole
        cycle instead of one per feed (1,000 feeds were 1,000 round trips)."""
        if not keys:
            return set()
        async with self.engine.connect() as conn:
            return set(await self._item_ids(conn, keys))

    async def feeds_with_items(self, feed_ids: Collection[int]) -> set[int]:
        """Which of ``feed_ids`` have any item stored: one look-up per feed (the
        first of its rows in the (feed, key) index), not one per item."""
        ids = sorted(feed_ids)
        found: set[int] = set()
        stored = exists().where(t.items.c.feed_id == t.feeds.c.id)
        async with self.engine.connect() as conn:
            for start in range(0, len(ids), KEYS_PER_QUERY):
                rows = await conn.execute(
                    select(t.feeds.c.id).where(
                        t.feeds.c.id.in_(ids[start : start + KEYS_PER_QUERY]), stored
                    )
                )
                found.update(feed_id for (feed_id,) in rows)
        return found

    @staticmethod
    async def _item_ids(
        conn: AsyncConnection, keys: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], int]:
        """The row ids of the stored items among (feed_id, key) ``keys``."""
        found: dict[tuple[int, str], int] = {}
        # Chunked so one statement stays under the bound-parameter limit. Bound
        # by the driver alone (positional, no types to process): named binds
        # cost more than the query, 4,000 per chunk.
        for start in range(0, len(keys), KEYS_PER_QUERY):
            chunk = keys[start : start + KEYS_PER_QUERY]
            sql = _stored_pairs_query(conn.dialect, len(chunk))
            result = await conn.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))
            for item_id, feed_id, key in result:
                found[(feed_id, key)] = item_id
        return found

    async def recent_entries(self, since: datetime, limit: int = 2000) -> list[Entry]:
        """Items published since ``since`` that matched a storyline (for dedupe)."""
        stmt = (
            select(t.items)
            .where(
                t.items.c.published >= since,
                t.items.c.id.in_(select(t.matches.c.item_id)),
            )
            .order_by(t.items.c.published.desc())
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [entry_from_row(r) for r in await conn.execute(stmt)][::-1]

    async def entries_at_urls(self, urls: Collection[str]) -> list[Entry]:
        """Matched items, of any age, whose canonical URL is one of ``urls`` (so an
        article re-published under a new guid is recognised, see dedupe)."""
        wanted = sorted({u for u in urls if u})
        found: list[Entry] = []
        async with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                stmt = select(t.items).where(
                    t.items.c.url.in_(wanted[start : start + 500]),
                    t.items.c.id.in_(select(t.matches.c.item_id)),
                )
                found.extend(entry_from_row(r) for r in await conn.execute(stmt))
        return found

    async def entries_since(self, since: datetime, limit: int = 50_000) -> list[Entry]:
        """Every stored item published since ``since``, oldest first (at most
        ``limit``, the newest): what ``storylines try`` runs a new storyline over."""
        stmt = (
            select(t.items)
            .where(t.items.c.published >= since)
            .order_by(t.items.c.published.desc())
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [entry_from_row(r) for r in await conn.execute(stmt)][::-1]

    async def matched_item_keys(
        self, since: datetime, storylines: Collection[str]
    ) -> set[tuple[int, str]]:
        """(feed id, key) of the items published since ``since`` that matched one
        of ``storylines``: what ``storylines suggest`` leaves to them."""
        wanted = sorted(set(storylines))
        if not wanted:
            return set()
        stmt = (
            select(t.items.c.feed_id, t.items.c.key)
            .join(t.matches, t.matches.c.item_id == t.items.c.id)
            .where(t.items.c.published >= since, t.matches.c.storyline.in_(wanted))
        )
        async with self.engine.connect() as conn:
            return {(r.feed_id, r.key) for r in await conn.execute(stmt)}

    async def claims(self) -> dict[FactKey, list[Claim]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.claims).order_by(t.claims.c.published))
            out: dict[FactKey, list[Claim]] = defaultdict(list)
            for r in rows:
                out[(r.storyline, r.fact)].append(
                    Claim(
                        storyline=r.storyline,
                        fact=r.fact,
                        value=r.value,
                        published=r.published,
                        source=r.source,
                        item_key=r.item_key,
                        url=r.url,
                        attribution=r.attribution,
                        evidence=r.evidence,
                    )
                )
            return dict(out)

    async def fact_states(self) -> dict[FactKey, FactView]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.fact_states))
            return {
                (r.storyline, r.fact): FactView(
                    storyline=r.storyline,
                    fact=r.fact,
                    value=r.value,
                    since=r.since,
                    source=r.source,
                    url=r.url,
                    disputed=r.disputed,
                    contenders=tuple(
                        Claim(
                            storyline=r.storyline,
                            fact=r.fact,
                            value=c["value"],
                            published=datetime.fromisoformat(c["published"]),
                            source=c["source"],
                            item_key=c.get("item_key", ""),
                            url=c.get("url"),
                            attribution=c.get("attribution"),
                        )
                        for c in (r.contenders or [])
                    ),
                )
                for r in rows
            }

    async def record_cycle(
        self, decision: Decision, updates: Sequence[FeedUpdate], now: datetime
    ) -> dict[str, int]:
        """Write a decided cycle in ONE transaction: items, matches, claims, fact
        states, outbox rows and the feeds' new validators. If it fails nothing is
        written, so the validators do not advance and the items come back."""
        async with self.engine.begin() as conn:
            ids: dict[tuple[int, str], int] = {}

            def remember(row: Row[Any]) -> None:
                item_id, feed_id, key = row
                ids[(feed_id, key)] = item_id

            await self._insert_items.run(
                conn, (_item_row(n.entry) for n in decision.items), remember
            )
            # Rows of all items gathered first, then written in a few statements:
            # one round trip per item and table made a 5,000-item cycle take 20 s.
            story_of: list[dict[str, int]] = []
            match_rows: list[dict[str, Any]] = []
            claim_rows: list[dict[str, Any]] = []
            # Originals stored by earlier cycles: looked up together, not one
            # round trip per duplicate (a first poll has thousands).
            earlier = {
                (d.feed_id, d.key)
                for n in decision.items
                if (d := n.duplicate_of) is not None and (d.feed_id, d.key) not in ids
            }
            stored = await self._item_ids(conn, list(earlier))
            for n in decision.items:
                if n.duplicate_of is None and not n.matches and not n.claims:
                    continue  # most of a poll's items: nothing but the item itself
                item_id = ids.get((n.entry.feed_id, n.entry.key))
                if item_id is None:
                    continue  # stored by a concurrent cycle: theirs wins
                if n.duplicate_of is not None:
                    pair = (n.duplicate_of.feed_id, n.duplicate_of.key)
                    orig = ids.get(pair, stored.get(pair))
                    if orig is not None:
                        story_of.append({"row_id": item_id, "orig": orig})
                match_rows.extend(
                    {
                        "item_id": item_id,
                        "storyline": m.storyline,
                        "score": m.score,
                        "reasons": [r.describe() for r in m.reasons],
                    }
                    for m in n.matches
                )
                claim_rows.extend(
                    {
                        "storyline": c.storyline,
                        "fact": c.fact,
                        "value": c.value,
                        "published": c.published,
                        "source": c.source,
                        "url": c.url,
                        "attribution": c.attribution,
                        "evidence": c.evidence[:2000],
                        "item_id": item_id,
                        "item_key": c.item_key,
                    }
                    for c in n.claims
                )
            if story_of:
                await conn.execute(
                    update(t.items)
                    .where(t.items.c.id == bindparam("row_id"))
                    .values(story_of=bindparam("orig")),
                    story_of,
                )
            if match_rows:
                await conn.execute(t.matches.insert(), match_rows)
            if claim_rows:
                # executemany, like the items: one cached compilation.
                await conn.execute(self._insert(t.claims).on_conflict_do_nothing(), claim_rows)
            changed = {(c.storyline, c.fact) for c in decision.changes}
            for key in changed:
                await self._write_state(conn, decision.states[key], now)
            # Only the posts of items this cycle stored: an item another cycle
            # stored first is that cycle's to post. The unique key does the rest.
            rows = [
                {
                    "subscription_id": p.subscription_id,
                    "kind": p.kind.value,
                    "topic": p.topic,
                    "payload": encode_post(p.kind, p.storyline, p.reply),
                    "item_id": ids[(p.entry.feed_id, p.entry.key)] if p.entry else None,
                    # Held for the channel's digest, never claimed for sending.
                    "status": "held" if p.kind is PostKind.DIGEST_ITEM else "pending",
                    "attempts": 0,
                    "created_at": now,
                }
                for p in decision.posts
                if p.entry is None or (p.entry.feed_id, p.entry.key) in ids
            ]
            posts = 0
            outbox = self._insert(t.outbox).on_conflict_do_nothing().returning(t.outbox.c.id)
            for start in range(0, len(rows), ROWS_PER_INSERT):
                posts += len(
                    list(await conn.execute(outbox, rows[start : start + ROWS_PER_INSERT]))
                )
            await self.feeds.write_feed_updates(conn, updates)
            return {"items": len(ids), "posts": posts}

    async def save_first_states(self, views: Sequence[FactView], now: datetime) -> None:
        """Record states resolved for the first time; a state already recorded
        (by a cycle, or by another process just now) is left as it is."""
        if not views:
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                self._insert(t.fact_states)
                .values(
                    [
                        {"storyline": v.storyline, "fact": v.fact, **self._state_values(v, now)}
                        for v in views
                    ]
                )
                .on_conflict_do_nothing()
            )

    async def _write_state(self, conn: AsyncConnection, view: FactView, now: datetime) -> None:
        values = self._state_values(view, now)
        stmt = self._insert(t.fact_states).values(
            storyline=view.storyline, fact=view.fact, **values
        )
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=["storyline", "fact"], set_=values)
        )

    @staticmethod
    def _state_values(view: FactView, now: datetime) -> dict[str, Any]:
        return {
            "value": view.value,
            "since": view.since,
            "source": view.source,
            "url": view.url,
            "disputed": view.disputed,
            "contenders": [
                {
                    "value": c.value,
                    "published": c.published.isoformat(),
                    "source": c.source,
                    "item_key": c.item_key,
                    "url": c.url,
                    "attribution": c.attribution,
                }
                for c in view.contenders
            ],
            "updated_at": now,
        }


_ITEM_COLUMNS = (
    "feed_id",
    "key",
    "guid",
    "url",
    "title",
    "summary",
    "source",
    "published",
    "published_text",
    "first_seen",
    "date_was_replaced",
    "title_made",
)


def _item_row(e: Entry) -> tuple[Any, ...]:
    """An item's values in ``_ITEM_COLUMNS`` order."""
    return (
        e.feed_id,
        e.key,
        e.guid,
        e.url,
        e.title,
        e.summary,
        e.source,
        e.published,
        e.published_text,
        e.first_seen,
        e.date_was_replaced,
        e.title_made,
    )


@functools.lru_cache(maxsize=8)
def _stored_pairs_query(dialect: Dialect, pairs: int) -> str:
    """The stored items (id, feed_id, key) among ``pairs`` (feed_id, key)
    pairs, bound positionally in that order. The pairs are joined to the
    items' unique index, one index search each: ``feed_id IN (…) AND key IN
    (…)`` searched every feed of a chunk for every key of it (40 × 2,000
    look-ups), and SQLite reads ``(feed_id, key) IN (VALUES …)`` by scanning
    the whole index. The first row's casts type the columns for PostgreSQL."""
    marks = placeholders(dialect, 2 * pairs)
    rows = ", ".join(
        f"(CAST({marks[0]} AS INTEGER), CAST({marks[1]} AS TEXT))"
        if i == 0
        else f"({marks[2 * i]}, {marks[2 * i + 1]})"
        for i in range(pairs)
    )
    return (
        # Only placeholders are formatted in: the values are bound.
        f"WITH wanted (feed_id, key) AS (VALUES {rows}) "  # noqa: S608 - placeholders only
        "SELECT items.id, items.feed_id, items.key FROM wanted "
        "JOIN items ON items.feed_id = wanted.feed_id AND items.key = wanted.key"
    )
