"""What every part of the Store shares: the engine and dialect-aware statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

KEYS_PER_QUERY = 2000
ROWS_PER_INSERT = 1000


class Part:
    """A part of the Store (feeds, items, delivery): the engine it writes through."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    def _insert(self, table: Table) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def _locked(self, stmt: Select[Any]) -> Select[Any]:
        # SKIP LOCKED lets several instances claim disjoint rows; SQLite has one
        # writer at a time and no row locks, so the lease alone suffices there.
        return stmt.with_for_update(skip_locked=True) if self.dialect == "postgresql" else stmt
