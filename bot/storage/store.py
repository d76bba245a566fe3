"""The Store: every read and write the application makes, over SQLAlchemy Core.

Writes are batched Core statements (upserts where rows may exist). Datetimes in
and out are aware UTC. Database failures propagate as SQLAlchemy errors. The
methods live by subject in ``feed_store``, ``item_store`` and ``delivery_store``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.delivery_store import DeliveryStore
from bot.storage.item_store import ItemStore
from bot.storage.records import FeedUpdate, OutboxRow

__all__ = ["FeedUpdate", "OutboxRow", "Store"]

_DECISION_LOCK = 0x74686463  # "thdc"; the migration lock is another key


class Store(ItemStore, DeliveryStore):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._decision_lock = asyncio.Lock()

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
