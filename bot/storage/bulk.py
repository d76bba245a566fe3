"""Multi-row INSERTs whose rows go to the driver as they are: the poll cycle's
largest write (a first poll stores 50,000 items).

SQLAlchemy's executemany ("insertmanyvalues") sends the same multi-row statement,
but first builds a dict per row and calls a function per value in Python: for a
first poll's items that cost twice what SQLite spent storing them. Here the
statement is rendered once per row count, each column's bind processor (the
dialect's own, so the values are exactly those Core would send) is looked up
once and run only on the columns that have one, and each statement's rows go to
the driver as one flat tuple.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, islice
from typing import Any

from sqlalchemy import Row, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

# Parameters per statement stay under the drivers' limits (SQLite 32,766,
# asyncpg 32,767) and the statement cache holds few row counts. Each row count's
# statement stays prepared in the driver (sqlite3 keeps 128 per connection), and
# SQLite's programs for 1,000 rows of items (and the remainders') took the bot's
# first poll about 2 MB more at its peak than 500 rows. Fewer rows cost round
# trips (four per statement through aiosqlite): 250 made the first poll slower.
ROWS_PER_STATEMENT = 500


class BulkInsert:
    """``INSERT INTO table (columns) VALUES … tail`` for rows given as tuples in
    ``columns`` order. ``tail`` is the SQL after the VALUES list (a conflict
    clause, RETURNING), written in terms both dialects read alike."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str], tail: str) -> None:
        self.dialect = dialect
        self.columns = tuple(columns)
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in self.columns)
        # Only quoted names of the schema are formatted in: the values are bound.
        self._head = f"INSERT INTO {quote(table.name)} ({names}) VALUES "  # noqa: S608
        self._tail = tail
        self._processors: list[tuple[int, Callable[[Any], Any]]] = []
        for i, name in enumerate(self.columns):
            process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self._processors.append((i, process))

    async def run(
        self,
        conn: AsyncConnection,
        rows: Iterable[tuple[Any, ...]],
        returned: Callable[[Row[Any]], object] | None = None,
    ) -> None:
        """Insert ``rows``, at most ``ROWS_PER_STATEMENT`` per statement, and hand
        each row the tail's RETURNING gives to ``returned``. Rows are taken and
        results handed on a statement at a time: a first poll's 50,000 held
        twice over made the garbage collector walk the heap more often."""
        source = iter(rows)
        while chunk := list(islice(source, ROWS_PER_STATEMENT)):
            result = await conn.exec_driver_sql(self._sql(len(chunk)), self._flat(chunk))
            if returned is not None:
                for row in result:
                    returned(row)

    def _flat(self, rows: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
        """The rows' values in order, processed: column by column, so the only
        Python call per value is a processor's."""
        if self._processors and rows:
            columns: list[Iterable[Any]] = list(zip(*rows, strict=True))
            for i, process in self._processors:
                columns[i] = map(process, columns[i])
            rows = list(zip(*columns, strict=True))
        return tuple(chain.from_iterable(rows))

    @functools.lru_cache(maxsize=4)  # noqa: B019 - a few row counts per statement
    def _sql(self, rows: int) -> str:
        marks = placeholders(self.dialect, rows * len(self.columns))
        width = len(self.columns)
        values = ", ".join(
            "(" + ", ".join(marks[start : start + width]) + ")"
            for start in range(0, len(marks), width)
        )
        return self._head + values + " " + self._tail


def placeholders(dialect: Dialect, count: int) -> list[str]:
    """The driver's own markers for ``count`` positional parameters, in order.
    The settings admit only aiosqlite and asyncpg (``bot.config.settings``), so
    another paramstyle means a driver was added without teaching this module."""
    if dialect.paramstyle == "qmark":  # sqlite3
        return ["?"] * count
    if dialect.paramstyle == "numeric_dollar":  # asyncpg
        return [f"${i}" for i in range(1, count + 1)]
    raise ValueError(
        f"bulk rows cannot be bound with paramstyle {dialect.paramstyle!r}: "
        "aiosqlite (qmark) and asyncpg (numeric_dollar) are the drivers Threadline runs on"
    )
