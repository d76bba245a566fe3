"""The Store: every read and write the application makes, over SQLAlchemy Core.

Writes are batched Core statements (upserts where rows may exist). Datetimes in
and out are aware UTC. Methods raise ``StorageError`` only for conditions the
caller can act on; database failures propagate as SQLAlchemy errors.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.models import (
    ChannelAddress,
    Claim,
    Entry,
    FactKey,
    FactView,
    Feed,
    FeedSeed,
    MessageRef,
    Subscription,
)
from bot.storage import tables as t

KEYS_PER_QUERY = 2000
_DECISION_LOCK = 0x74686463  # "thdc"; the migration lock is another key
ROWS_PER_INSERT = 1000

if TYPE_CHECKING:
    from bot.core.decide import Decision


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


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _plain(text: str | None, limit: int = 1000) -> str | None:
    """An error message fit for a text column: PostgreSQL refuses NUL, and
    control characters have no business in what `feeds list` shows."""
    return None if text is None else _CONTROL.sub(" ", text)[:limit]


def _feed(row: Any) -> Feed:
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


def _subscription(row: Any) -> Subscription:
    root = MessageRef(row.root_message_id, row.thread_id) if row.root_message_id else None
    return Subscription(
        id=row.id,
        address=ChannelAddress(row.platform, row.channel, row.workspace),
        storyline=row.storyline,
        enabled=row.enabled,
        root=root,
        disabled_reason=row.disabled_reason,
    )


def _entry(row: Any) -> Entry:
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


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._decision_lock = asyncio.Lock()

    def _insert(self, table: Table) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def _locked(self, stmt: Select[Any]) -> Select[Any]:
        # SKIP LOCKED lets several instances claim disjoint rows; SQLite has one
        # writer at a time and no row locks, so the lease alone suffices there.
        return stmt.with_for_update(skip_locked=True) if self.dialect == "postgresql" else stmt

    async def close(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def decision_lock(self) -> AsyncIterator[None]:
        """Hold the cross-instance lock for deciding and recording a cycle
        (a PostgreSQL advisory lock; SQLite serves one process, so none there).
        Within the process an asyncio lock comes first: concurrent scheduler jobs
        race the same way, and only one pooled connection may wait on the
        database lock (waiters holding the pool would starve the holder)."""
        async with self._decision_lock:
            if self.dialect != "postgresql":
                yield
                return
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql(f"SELECT pg_advisory_lock({_DECISION_LOCK})")
                try:
                    yield
                finally:
                    await conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_DECISION_LOCK})")

    # --- feeds ---------------------------------------------------------------------------

    async def sync_feeds(self, seeds: Sequence[FeedSeed], now: datetime) -> int:
        """Add the seed file's feeds that are not known yet and refresh the name,
        interval and tags of file feeds. A feed removed from chat (``removed``) is
        not re-added. Returns how many feeds were added."""
        if not seeds:
            return 0
        async with self.engine.begin() as conn:
            urls = [s.url for s in seeds]
            known: dict[str, Any] = {}
            for found in await conn.execute(
                select(t.feeds.c.id, t.feeds.c.url, t.feeds.c.seed_url, t.feeds.c.origin).where(
                    or_(t.feeds.c.url.in_(urls), t.feeds.c.seed_url.in_(urls))
                )
            ):
                # A feed that moved (permanent redirect) is still the file's entry.
                known[found.url] = found
                if found.seed_url:
                    known[found.seed_url] = found
            added = 0
            for seed in seeds:
                row = known.get(seed.url)
                if row is None:
                    # Instances starting together may add the same file feed at once.
                    result = await conn.execute(
                        self._insert(t.feeds)
                        .values(**self._new_feed(seed, "file", now))
                        .on_conflict_do_nothing(index_elements=["url"])
                    )
                    added += result.rowcount
                elif row.origin == "file":
                    await conn.execute(
                        update(t.feeds)
                        .where(t.feeds.c.id == row.id)
                        .values(
                            name=seed.name,
                            interval_seconds=seed.interval_seconds,
                            tags=list(seed.tags),
                        )
                    )
            return added

    @staticmethod
    def _new_feed(seed: FeedSeed, origin: str, now: datetime) -> dict[str, Any]:
        return {
            "url": seed.url,
            "name": seed.name,
            "interval_seconds": seed.interval_seconds,
            "tags": list(seed.tags),
            "origin": origin,
            "enabled": True,
            "removed": False,
            "status": "new",
            "failures": 0,
            "backlog_done": False,
            "redirect_count": 0,
            "next_poll_at": now,
            "created_at": now,
        }

    async def add_feed(self, seed: FeedSeed, origin: str, now: datetime) -> tuple[Feed, bool]:
        """Add a feed (or bring back a removed one). Returns (feed, created)."""
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(select(t.feeds).where(t.feeds.c.url == seed.url))
            ).one_or_none()
            if row is not None and not row.removed:
                return _feed(row), False
            if row is None:
                await conn.execute(t.feeds.insert().values(**self._new_feed(seed, origin, now)))
            else:
                values = self._new_feed(seed, origin, now)
                values.pop("created_at")
                await conn.execute(update(t.feeds).where(t.feeds.c.id == row.id).values(**values))
            row = (await conn.execute(select(t.feeds).where(t.feeds.c.url == seed.url))).one()
            return _feed(row), True

    async def remove_feed(self, ref: str) -> Feed | None:
        """Remove a feed by id or URL. Its row stays (``removed``) so the seed file
        does not re-add it; its items stay too."""
        cond = t.feeds.c.id == int(ref) if ref.isdigit() else t.feeds.c.url == ref
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(select(t.feeds).where(cond, t.feeds.c.removed.is_(False)))
            ).one_or_none()
            if row is None:
                return None
            await conn.execute(
                update(t.feeds)
                .where(t.feeds.c.id == row.id)
                .values(removed=True, enabled=False, status="disabled", error_code="removed")
            )
            return _feed(row)

    async def feeds(self, *, enabled_only: bool = False) -> list[Feed]:
        stmt = select(t.feeds).where(t.feeds.c.removed.is_(False)).order_by(t.feeds.c.id)
        if enabled_only:
            stmt = stmt.where(t.feeds.c.enabled.is_(True))
        async with self.engine.connect() as conn:
            return [_feed(row) for row in await conn.execute(stmt)]

    async def claim_feeds(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        due_only: bool = True,
        feed_ids: Sequence[int] | None = None,
        limit: int = 1000,
        grace: timedelta = timedelta(0),
    ) -> list[Feed]:
        """Claim enabled feeds (due ones, or all) for ``owner`` until ``now + lease``.
        A feed under another owner's live lease is not claimed."""
        cond = [
            t.feeds.c.enabled.is_(True),
            t.feeds.c.removed.is_(False),
            or_(t.feeds.c.lease_until.is_(None), t.feeds.c.lease_until < now),
        ]
        if due_only:
            cond.append(
                or_(t.feeds.c.next_poll_at.is_(None), t.feeds.c.next_poll_at <= now + grace)
            )
        if feed_ids is not None:
            cond.append(t.feeds.c.id.in_(list(feed_ids)))
        stmt = self._locked(
            select(t.feeds).where(and_(*cond)).order_by(t.feeds.c.next_poll_at).limit(limit)
        )
        async with self.engine.begin() as conn:
            rows = list(await conn.execute(stmt))
            if rows:
                await conn.execute(
                    update(t.feeds)
                    .where(t.feeds.c.id.in_([r.id for r in rows]))
                    .values(lease_owner=owner, lease_until=now + lease)
                )
            return [_feed(r) for r in rows]

    async def clear_leases(self) -> None:
        """Forget every lease (single-instance SQLite start-up: any lease is stale)."""
        async with self.engine.begin() as conn:
            await conn.execute(update(t.feeds).values(lease_owner=None, lease_until=None))
            await conn.execute(update(t.outbox).values(lease_owner=None, lease_until=None))

    async def release_feeds(self, owner: str, feed_ids: Sequence[int]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.feeds)
                .where(t.feeds.c.id.in_(list(feed_ids)), t.feeds.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    async def record_feed_updates(self, updates: Sequence[FeedUpdate]) -> None:
        """Record polls that produced no items (errors, 304s, unchanged bodies)."""
        if updates:
            async with self.engine.begin() as conn:
                await self._write_feed_updates(conn, updates)

    async def _write_feed_updates(
        self, conn: AsyncConnection, updates: Sequence[FeedUpdate]
    ) -> None:
        for u in updates:
            values: dict[str, Any] = {
                "status": u.status,
                "last_polled_at": u.polled_at,
                "next_poll_at": u.next_poll_at,
                "failures": u.failures,
                "error_code": u.error_code,
                "last_error": _plain(u.last_error),
                "enabled": u.enabled,
                "redirect_url": u.redirect_url,
                "redirect_count": u.redirect_count,
                "lease_owner": None,
                "lease_until": None,
            }
            if u.success:
                values["last_success_at"] = u.polled_at
            if u.validators_changed:
                values.update(etag=u.etag, last_modified=u.last_modified, body_hash=u.body_hash)
            if u.backlog_done:
                values["backlog_done"] = True
            if u.url and not await self._url_taken(conn, u.url, u.feed_id):
                # A redirect to another feed's URL is not adopted (the URL is
                # unique): adopting it would fail the whole cycle's transaction.
                values["url"] = u.url
                # Remember the URL it was added with, so the seed file still knows it.
                values["seed_url"] = func.coalesce(t.feeds.c.seed_url, t.feeds.c.url)
            await conn.execute(update(t.feeds).where(t.feeds.c.id == u.feed_id).values(**values))

    @staticmethod
    async def _url_taken(conn: AsyncConnection, url: str, feed_id: int) -> bool:
        other = await conn.scalar(
            select(t.feeds.c.id).where(t.feeds.c.url == url, t.feeds.c.id != feed_id).limit(1)
        )
        return other is not None

    # --- items, claims, facts -------------------------------------------------------------

    async def known_keys(self, feed_id: int, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.items.c.key).where(t.items.c.feed_id == feed_id, t.items.c.key.in_(keys))
            )
            return {r.key for r in rows}

    async def known_item_keys(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (feed_id, key) pairs are stored: one query per chunk for a whole
        cycle instead of one per feed (1,000 feeds were 1,000 round trips)."""
        found: set[tuple[int, str]] = set()
        if not keys:
            return found
        async with self.engine.connect() as conn:
            # Chunked so one statement stays under SQLite's bound-parameter limit.
            for start in range(0, len(keys), KEYS_PER_QUERY):
                chunk = keys[start : start + KEYS_PER_QUERY]
                rows = await conn.execute(
                    select(t.items.c.feed_id, t.items.c.key).where(
                        t.items.c.feed_id.in_({f for f, _ in chunk}),
                        t.items.c.key.in_({k for _, k in chunk}),
                    )
                )
                found.update((r.feed_id, r.key) for r in rows)
        return found & set(keys)

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
            return [_entry(r) for r in await conn.execute(stmt)][::-1]

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
            rows = [self._item_values(n.entry) for n in decision.items]
            # In chunks: one VALUES list must stay under the bound-parameter limit
            # (SQLite 32,766, asyncpg 32,767); a 1,000-feed first poll needs 500,000.
            for start in range(0, len(rows), ROWS_PER_INSERT):
                stmt = (
                    self._insert(t.items)
                    .values(rows[start : start + ROWS_PER_INSERT])
                    .on_conflict_do_nothing(index_elements=["feed_id", "key"])
                    .returning(t.items.c.id, t.items.c.feed_id, t.items.c.key)
                )
                for r in await conn.execute(stmt):
                    ids[(r.feed_id, r.key)] = r.id
            for n in decision.items:
                item_id = ids.get((n.entry.feed_id, n.entry.key))
                if item_id is None:
                    continue  # stored by a concurrent cycle: theirs wins
                if n.duplicate_of is not None:
                    orig = ids.get((n.duplicate_of.feed_id, n.duplicate_of.key))
                    if orig is None:
                        orig = await conn.scalar(
                            select(t.items.c.id).where(
                                t.items.c.feed_id == n.duplicate_of.feed_id,
                                t.items.c.key == n.duplicate_of.key,
                            )
                        )
                    if orig is not None:
                        await conn.execute(
                            update(t.items).where(t.items.c.id == item_id).values(story_of=orig)
                        )
                if n.matches:
                    await conn.execute(
                        t.matches.insert(),
                        [
                            {
                                "item_id": item_id,
                                "storyline": m.storyline,
                                "score": m.score,
                                "reasons": [r.describe() for r in m.reasons],
                            }
                            for m in n.matches
                        ],
                    )
                if n.claims:
                    await conn.execute(
                        self._insert(t.claims)
                        .values(
                            [
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
                            ]
                        )
                        .on_conflict_do_nothing()
                    )
            changed = {(c.storyline, c.fact) for c in decision.changes}
            for key in changed:
                await self._write_state(conn, decision.states[key], now)
            if decision.posts:
                await conn.execute(
                    t.outbox.insert(),
                    [
                        {
                            "subscription_id": p.subscription_id,
                            "kind": p.kind,
                            "payload": p.payload,
                            "item_id": ids.get((p.entry.feed_id, p.entry.key)) if p.entry else None,
                            "status": "pending",
                            "attempts": 0,
                            "created_at": now,
                        }
                        for p in decision.posts
                    ],
                )
            await self._write_feed_updates(conn, updates)
            return {"items": len(ids), "posts": len(decision.posts)}

    @staticmethod
    def _item_values(e: Entry) -> dict[str, Any]:
        return {
            "feed_id": e.feed_id,
            "key": e.key,
            "guid": e.guid,
            "url": e.url,
            "title": e.title,
            "summary": e.summary,
            "source": e.source,
            "published": e.published,
            "published_text": e.published_text,
            "first_seen": e.first_seen,
        }

    async def _write_state(self, conn: AsyncConnection, view: FactView, now: datetime) -> None:
        values = {
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
        stmt = self._insert(t.fact_states).values(
            storyline=view.storyline, fact=view.fact, **values
        )
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=["storyline", "fact"], set_=values)
        )

    async def item_count(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(t.items)) or 0)

    async def timeline(self, storyline: str) -> list[Claim]:
        return [c for (s, _f), cs in (await self.claims()).items() if s == storyline for c in cs]

    # --- subscriptions ----------------------------------------------------------------------

    async def subscriptions(
        self, *, storyline: str | None = None, enabled_only: bool = True
    ) -> list[Subscription]:
        stmt = select(t.subscriptions).order_by(t.subscriptions.c.id)
        if storyline:
            stmt = stmt.where(t.subscriptions.c.storyline == storyline)
        if enabled_only:
            stmt = stmt.where(t.subscriptions.c.enabled.is_(True))
        async with self.engine.connect() as conn:
            return [_subscription(r) for r in await conn.execute(stmt)]

    async def follow(
        self, address: ChannelAddress, storyline: str, now: datetime
    ) -> tuple[Subscription, bool]:
        """Subscribe a channel (re-enabling a disabled subscription) and queue its
        root card, so the channel sees the current state before any news.
        Returns (subscription, created_or_reenabled)."""
        async with self.engine.begin() as conn:
            where = and_(
                t.subscriptions.c.platform == address.platform,
                t.subscriptions.c.channel == address.channel,
                t.subscriptions.c.storyline == storyline,
            )
            row = (await conn.execute(select(t.subscriptions).where(where))).one_or_none()
            if row is not None and row.enabled:
                return _subscription(row), False
            if row is None:
                await conn.execute(
                    t.subscriptions.insert().values(
                        platform=address.platform,
                        channel=address.channel,
                        workspace=address.workspace,
                        storyline=storyline,
                        enabled=True,
                        created_at=now,
                    )
                )
            else:
                await conn.execute(
                    update(t.subscriptions).where(where).values(enabled=True, disabled_reason=None)
                )
            row = (await conn.execute(select(t.subscriptions).where(where))).one()
            await conn.execute(
                t.outbox.insert().values(
                    subscription_id=row.id,
                    kind="root",
                    payload={"storyline": storyline},
                    status="pending",
                    attempts=0,
                    created_at=now,
                )
            )
            return _subscription(row), True

    async def unfollow(self, address: ChannelAddress, storyline: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(t.subscriptions).where(
                    t.subscriptions.c.platform == address.platform,
                    t.subscriptions.c.channel == address.channel,
                    t.subscriptions.c.storyline == storyline,
                )
            )
            return bool(result.rowcount)

    async def disable_subscription(self, subscription_id: int, reason: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.subscriptions)
                .where(t.subscriptions.c.id == subscription_id)
                .values(enabled=False, disabled_reason=reason)
            )

    async def set_root(self, subscription_id: int, root: MessageRef | None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.subscriptions)
                .where(t.subscriptions.c.id == subscription_id)
                .values(
                    root_message_id=root.message_id if root else None,
                    thread_id=root.thread_id if root else None,
                )
            )

    # --- outbox -----------------------------------------------------------------------------

    async def claim_outbox(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        platforms: Iterable[str],
        limit: int = 100,
    ) -> list[OutboxRow]:
        """Claim due rows for the given platforms, oldest first. A row left in
        ``sending`` by a crashed worker is claimable once its lease expired (and
        then comes back with ``status == "sending"``: check before resending)."""
        j = t.outbox.join(t.subscriptions, t.outbox.c.subscription_id == t.subscriptions.c.id)
        stmt = (
            select(t.outbox.c.id)
            .select_from(j)
            .where(
                t.outbox.c.status.in_(["pending", "sending"]),
                t.subscriptions.c.platform.in_(list(platforms)),
                or_(t.outbox.c.next_attempt_at.is_(None), t.outbox.c.next_attempt_at <= now),
                or_(t.outbox.c.lease_until.is_(None), t.outbox.c.lease_until < now),
            )
            .order_by(t.outbox.c.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=t.outbox)
        async with self.engine.begin() as conn:
            row_ids = [r.id for r in await conn.execute(stmt)]
            if not row_ids:
                return []
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id.in_(row_ids))
                .values(lease_owner=owner, lease_until=now + lease)
            )
            rows = await conn.execute(
                select(t.outbox, t.subscriptions)
                .select_from(j)
                .where(t.outbox.c.id.in_(row_ids))
                .order_by(t.outbox.c.id)
            )
            out = []
            for r in rows:
                m = r._mapping
                sub = Subscription(
                    id=m[t.subscriptions.c.id],
                    address=ChannelAddress(
                        m[t.subscriptions.c.platform],
                        m[t.subscriptions.c.channel],
                        m[t.subscriptions.c.workspace],
                    ),
                    storyline=m[t.subscriptions.c.storyline],
                    enabled=m[t.subscriptions.c.enabled],
                    root=MessageRef(
                        m[t.subscriptions.c.root_message_id], m[t.subscriptions.c.thread_id]
                    )
                    if m[t.subscriptions.c.root_message_id]
                    else None,
                )
                out.append(
                    OutboxRow(
                        id=m[t.outbox.c.id],
                        subscription=sub,
                        kind=m[t.outbox.c.kind],
                        payload=m[t.outbox.c.payload],
                        attempts=m[t.outbox.c.attempts],
                        status=m[t.outbox.c.status],
                    )
                )
            return out

    async def mark_sending(self, row_id: int) -> None:
        """Record that a send is about to happen (committed before the send)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == row_id)
                .values(status="sending", attempts=t.outbox.c.attempts + 1)
            )

    async def mark_sent(self, row_id: int, message_id: str | None, now: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == row_id)
                .values(
                    status="sent",
                    message_id=message_id,
                    sent_at=now,
                    lease_owner=None,
                    lease_until=None,
                    last_error=None,
                )
            )

    async def mark_retry(self, row_id: int, error: str, at: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == row_id)
                .values(
                    status="pending",
                    next_attempt_at=at,
                    last_error=_plain(error),
                    lease_owner=None,
                    lease_until=None,
                )
            )

    async def mark_failed(self, row_id: int, error: str, status: str = "failed") -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == row_id)
                .values(status=status, last_error=_plain(error), lease_owner=None, lease_until=None)
            )

    async def outbox_counts(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.outbox.c.status, func.count()).group_by(t.outbox.c.status)
            )
            return {r[0]: int(r[1]) for r in rows}
