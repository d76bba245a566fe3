"""The Store: every read and write the application makes, over SQLAlchemy Core.

One class composed of parts, by subject: ``FeedRecords`` (feeds, claims,
poll results), ``ItemRecords`` (items, matches, claims, fact states, a cycle's
record), ``DeliveryRecords`` (subscriptions, the outbox), ``EditRecords``
(what an edit of a sent reply edits) and ``DigestRecords`` (daily digests). The services never
see the parts: each declares the narrow Protocol of the methods it needs, and
this class offers them all. Writes are batched Core statements (upserts where
rows may exist). Datetimes in and out are aware UTC. Database failures
propagate as SQLAlchemy errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.delivery_store import DeliveryRecords
from bot.storage.digest_store import DigestRecords
from bot.storage.edit_store import EditRecords
from bot.storage.feed_store import FeedRecords
from bot.storage.item_store import ItemRecords

_DECISION_LOCK = 0x74686463  # "thdc"; the migration lock is another key


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._decision_lock = asyncio.Lock()
        feeds = FeedRecords(engine)
        items = ItemRecords(engine, feeds)
        delivery = DeliveryRecords(engine)
        # feeds
        self.sync_feeds = feeds.sync_feeds
        self.add_feed = feeds.add_feed
        self.remove_feed = feeds.remove_feed
        self.feeds = feeds.feeds
        self.feed_by_url = feeds.feed_by_url
        self.claim_feeds = feeds.claim_feeds
        self.next_poll_due = feeds.next_poll_due
        self.release_feeds = feeds.release_feeds
        self.recover_leases = feeds.recover_leases
        self.record_feed_updates = feeds.record_feed_updates
        # items, claims, fact states
        self.known_item_keys = items.known_item_keys
        self.feeds_with_items = items.feeds_with_items
        self.recent_entries = items.recent_entries
        self.entries_at_urls = items.entries_at_urls
        self.entries_since = items.entries_since
        self.matched_item_keys = items.matched_item_keys
        self.claims = items.claims
        self.fact_states = items.fact_states
        self.save_first_states = items.save_first_states
        self.record_cycle = items.record_cycle
        # subscriptions and the outbox
        self.subscriptions = delivery.subscriptions
        self.follow = delivery.follow
        self.unfollow = delivery.unfollow
        self.disable_subscription = delivery.disable_subscription
        self.set_root = delivery.set_root
        self.claim_outbox = delivery.claim_outbox
        self.mark_sending = delivery.mark_sending
        self.mark_sent = delivery.mark_sent
        self.mark_retry = delivery.mark_retry
        self.mark_failed = delivery.mark_failed
        self.outbox_backlog = delivery.outbox_backlog
        self.outbox_entries = delivery.outbox_entries
        self.requeue_outbox = delivery.requeue_outbox
        # edits of sent replies, daily digests
        edits = EditRecords(engine)
        self.edit_target = edits.edit_target
        digests = DigestRecords(engine)
        self.set_digest = digests.set_digest
        self.gathered = digests.gathered
        self.record_digest = digests.record_digest

    @asynccontextmanager
    async def decision_lock(self) -> AsyncIterator[None]:
        """Hold the cross-instance lock for deciding and recording a cycle
        (a PostgreSQL advisory lock; on SQLite one process polls a file, under
        its process lock, so none there). Within the process an asyncio lock
        comes first: concurrent polls race the same way, and only one pooled
        connection may wait on the database lock (waiters holding the pool
        would starve the holder)."""
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

    async def close(self) -> None:
        await self.engine.dispose()
