"""Where feeds are parsed (the ``ParseRunner`` port): in worker processes, so a
busy bot uses more than one core, or in a worker thread.

feedparser is pure Python and holds the GIL: in threads, parses only take turns.
A pool of processes parses several feeds at once while the event loop goes on
fetching. A worker that dies (a crash in a C extension, the OOM killer) fails
only the feed it was parsing; the pool is rebuilt for the next one.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from bot.core.items import RawEntry
from bot.core.normalise import document_keys
from bot.errors import ErrorCode, ParseError
from bot.ports import FeedParser

_T = TypeVar("_T")

#: A document's items as parsed, and the key of each (``document_keys``).
Keyed = tuple[tuple[RawEntry, ...], list[str]]


def parse_keyed(parser: FeedParser, body: bytes, headers: Mapping[str, str] | None) -> Keyed:
    """The document's items and their keys: what a poll needs of a body, made
    where the parse runs (a worker process, or a thread), so the keying costs
    the event loop's process nothing when there is a pool."""
    entries = parser.parse(body, headers).entries
    return entries, document_keys(entries)


class ParsePool:
    """Runs ``parser.parse`` in ``processes`` worker processes (``parser`` must be
    picklable). ``parse`` raises what the parser raises (``ParseError``)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # forkserver: forking a process that runs an event loop and holds
            # database connections would copy them into the workers.
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(self.processes, mp_context=context)
        return self._executor

    async def parse_keyed(
        self, parser: FeedParser, body: bytes, headers: Mapping[str, str] | None
    ) -> Keyed:
        """``parse_keyed`` in a worker."""
        return await self._run(functools.partial(parse_keyed, parser), body, headers)

    async def _run(
        self,
        work: Callable[[bytes, Mapping[str, str] | None], _T],
        body: bytes,
        headers: Mapping[str, str] | None,
    ) -> _T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool(), work, body, dict(headers or {}))
        except BrokenProcessPool:
            self.close()
            raise ParseError(
                "the parser process died while reading this feed", code=ErrorCode.PARSE
            ) from None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


class ThreadParse:
    """Runs ``parser.parse`` in a worker thread, one at a time (parsing holds the
    GIL, so parallel threads would only take turns): the event loop goes on."""

    processes = 1

    async def parse_keyed(
        self, parser: FeedParser, body: bytes, headers: Mapping[str, str] | None
    ) -> Keyed:
        return await asyncio.to_thread(parse_keyed, parser, body, headers)
