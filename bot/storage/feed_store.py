"""Feeds: the seed-file sync, additions and removals, claims with leases, poll results."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.items import Feed, FeedSeed
from bot.errors import ErrorCode
from bot.storage import tables as t
from bot.storage.base import KEYS_PER_QUERY, Part
from bot.storage.records import (
    FeedUpdate,
    feed_from_row,
    plain_text,
)

_FEEDS_FILE = "feeds_file"
# Rows of a multi-row insert of new feeds (14 columns each: well under SQLite's 32,766 variables).
SEEDS_PER_INSERT = 50
# The bound name of the feed's id in the batched poll-result UPDATE (not a column name).
_FEED_ROW = "feed_row_id"
_FEED_UPDATE = update(t.feeds).where(t.feeds.c.id == bindparam(_FEED_ROW))


def seeds_digest(seeds: Sequence[FeedSeed]) -> str:
    """The sha256 of what a sync of ``seeds`` writes (URLs, names, intervals, tags)."""
    text = json.dumps(
        [[s.url, s.name, s.interval_seconds, list(s.tags)] for s in seeds], ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class FeedRecords(Part):
    """Feeds: the seed-file sync, additions and removals, claims, poll results."""

    async def sync_feeds(self, seeds: Sequence[FeedSeed], now: datetime) -> int:
        """Add the seed file's feeds that are not known yet and refresh the name,
        interval and tags of file feeds. A feed removed from chat (``removed``) is
        not re-added. Returns how many feeds were added."""
        if not seeds:
            return 0
        digest = seeds_digest(seeds)
        async with self.engine.begin() as conn:
            synced = await conn.scalar(
                select(t.config_sync.c.digest).where(t.config_sync.c.name == _FEEDS_FILE)
            )
            if synced == digest:
                # Unchanged since the last sync: with thousands of feeds, re-syncing
                # would cost every command seconds.
                return 0
            await conn.execute(
                self._insert(t.config_sync)
                .values(name=_FEEDS_FILE, digest=digest, synced_at=now)
                .on_conflict_do_update(
                    index_elements=["name"], set_={"digest": digest, "synced_at": now}
                )
            )
            urls = [s.url for s in seeds]
            known: dict[str, Any] = {}
            for i in range(0, len(urls), KEYS_PER_QUERY // 2):
                chunk = urls[i : i + KEYS_PER_QUERY // 2]
                for found in await conn.execute(
                    select(
                        t.feeds.c.id,
                        t.feeds.c.url,
                        t.feeds.c.seed_url,
                        t.feeds.c.origin,
                        t.feeds.c.name,
                        t.feeds.c.interval_seconds,
                        t.feeds.c.tags,
                    ).where(or_(t.feeds.c.url.in_(chunk), t.feeds.c.seed_url.in_(chunk)))
                ):
                    # A feed that moved (permanent redirect) is still the file's entry.
                    known[found.url] = found
                    if found.seed_url:
                        known[found.seed_url] = found
            new = [self._new_feed(s, "file", now) for s in seeds if s.url not in known]
            added = 0
            for i in range(0, len(new), SEEDS_PER_INSERT):
                # Instances starting together may add the same file feed at once.
                result = await conn.execute(
                    self._insert(t.feeds)
                    .values(new[i : i + SEEDS_PER_INSERT])
                    .on_conflict_do_nothing(index_elements=["url"])
                )
                added += max(result.rowcount, 0)
            for seed in seeds:
                row = known.get(seed.url)
                if row is None or row.origin != "file":
                    continue
                wanted = (seed.name, seed.interval_seconds, list(seed.tags))
                if (row.name, row.interval_seconds, list(row.tags or ())) != wanted:
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

    async def feed_by_url(self, url: str) -> Feed | None:
        """The feed (not removed) at ``url``, or the one first added as ``url``."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(t.feeds)
                    .where(
                        or_(t.feeds.c.url == url, t.feeds.c.seed_url == url),
                        t.feeds.c.removed.is_(False),
                    )
                    .limit(1)
                )
            ).one_or_none()
            return feed_from_row(row) if row is not None else None

    async def add_feed(self, seed: FeedSeed, origin: str, now: datetime) -> tuple[Feed, bool]:
        """Add a feed (or bring back a removed one). Returns (feed, created)."""
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(select(t.feeds).where(t.feeds.c.url == seed.url))
            ).one_or_none()
            if row is not None and not row.removed:
                return feed_from_row(row), False
            if row is None:
                await conn.execute(t.feeds.insert().values(**self._new_feed(seed, origin, now)))
            else:
                # Brought back: a fresh start, not the removed feed's state.
                values = self._new_feed(seed, origin, now)
                values.pop("created_at")
                values.update(
                    error_code=None,
                    last_error=None,
                    lease_owner=None,
                    lease_until=None,
                    etag=None,
                    last_modified=None,
                    body_hash=None,
                )
                await conn.execute(update(t.feeds).where(t.feeds.c.id == row.id).values(**values))
            row = (await conn.execute(select(t.feeds).where(t.feeds.c.url == seed.url))).one()
            return feed_from_row(row), True

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
                .values(
                    removed=True, enabled=False, status="disabled", error_code=ErrorCode.REMOVED
                )
            )
            return feed_from_row(row)

    async def feeds(self, *, enabled_only: bool = False) -> list[Feed]:
        stmt = select(t.feeds).where(t.feeds.c.removed.is_(False)).order_by(t.feeds.c.id)
        if enabled_only:
            stmt = stmt.where(t.feeds.c.enabled.is_(True))
        async with self.engine.connect() as conn:
            return [feed_from_row(row) for row in await conn.execute(stmt)]

    async def claim_feeds(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        due_only: bool = True,
        limit: int = 1000,
        polled_before: datetime | None = None,
    ) -> list[Feed]:
        """Claim enabled feeds (due ones, or all) for ``owner`` until ``now + lease``.
        A feed under another owner's live lease is not claimed; with
        ``polled_before``, nor is one polled since then (a run polling every feed
        in turns claims each once)."""
        cond = [
            t.feeds.c.enabled.is_(True),
            t.feeds.c.removed.is_(False),
            or_(t.feeds.c.lease_until.is_(None), t.feeds.c.lease_until < now),
        ]
        if due_only:
            cond.append(or_(t.feeds.c.next_poll_at.is_(None), t.feeds.c.next_poll_at <= now))
        if polled_before is not None:
            cond.append(
                or_(t.feeds.c.last_polled_at.is_(None), t.feeds.c.last_polled_at < polled_before)
            )
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
            return [feed_from_row(r) for r in rows]

    async def next_poll_due(self) -> datetime | None:
        """When the next enabled feed becomes claimable: its ``next_poll_at``, or
        the end of a later lease another process holds on it. None: no enabled feed.
        (The poll loop sleeps until then; ``claim_feeds`` is the matching query.)"""
        f = t.feeds.c
        due = func.coalesce(f.next_poll_at, f.created_at)  # never polled: due since added
        claimable = case((f.lease_until > due, f.lease_until), else_=due)
        stmt = select(func.min(claimable)).where(f.enabled.is_(True), f.removed.is_(False))
        async with self.engine.connect() as conn:
            value: datetime | None = (await conn.execute(stmt)).scalar()
            return value

    async def recover_leases(self, owner: str | None) -> None:
        """Release the leases of a process that is gone: ``owner``'s (a restarted
        instance with a fixed id), or every lease when ``owner`` is None, which
        only the sole polling process of an SQLite file may ask (under its
        process lock, any lease left is a dead process's). Live leases of other
        instances are never touched; expired ones are simply claimed over."""
        feeds_cond = [] if owner is None else [t.feeds.c.lease_owner == owner]
        outbox_cond = [] if owner is None else [t.outbox.c.lease_owner == owner]
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.feeds)
                .where(t.feeds.c.lease_owner.is_not(None), *feeds_cond)
                .values(lease_owner=None, lease_until=None)
            )
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.lease_owner.is_not(None), *outbox_cond)
                .values(lease_owner=None, lease_until=None)
            )

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
                await self.write_feed_updates(conn, updates)

    async def write_feed_updates(
        self, conn: AsyncConnection, updates: Sequence[FeedUpdate]
    ) -> None:
        """One executemany per shape of row (which of the optional columns a poll
        sets; a cycle has one or a few), not one statement per feed: 1,000
        feeds were 1,000 statements, each built, compiled from the cache and
        sent on its own."""
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for u in updates:
            values = self._update_values(u)
            if u.url and not await self._url_taken(conn, u.url, u.feed_id):
                # A redirect to another feed's URL is not adopted (the URL is
                # unique): adopting it would fail the whole cycle's transaction.
                values["url"] = u.url
                # Remember the URL it was added with, so the seed file still knows it.
                values["seed_url"] = func.coalesce(t.feeds.c.seed_url, t.feeds.c.url)
                await conn.execute(
                    update(t.feeds).where(t.feeds.c.id == u.feed_id).values(**values)
                )
                continue
            values[_FEED_ROW] = u.feed_id
            shapes.setdefault(tuple(values), []).append(values)
        for rows in shapes.values():
            # The SET columns are the rows' keys (all alike within a shape).
            await conn.execute(_FEED_UPDATE, rows)

    @staticmethod
    def _update_values(u: FeedUpdate) -> dict[str, Any]:
        values: dict[str, Any] = {
            "status": u.status,
            "last_polled_at": u.polled_at,
            "next_poll_at": u.next_poll_at,
            "failures": u.failures,
            "error_code": u.error_code,
            "last_error": plain_text(u.last_error),
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
        return values

    @staticmethod
    async def _url_taken(conn: AsyncConnection, url: str, feed_id: int) -> bool:
        other = await conn.scalar(
            select(t.feeds.c.id).where(t.feeds.c.url == url, t.feeds.c.id != feed_id).limit(1)
        )
        return other is not None
