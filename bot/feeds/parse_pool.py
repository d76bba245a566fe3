"""Where feeds are parsed (the ``ParseRunner`` port): in worker processes, so a
busy bot uses more than one core, or in a worker thread.

feedparser is pure Python and holds the GIL: in threads, parses only take turns.
A pool of processes parses several feeds at once while the event loop goes on
fetching. A worker that dies (a crash in a C extension, the OOM killer) fails
only the feed it was parsing; the pool is rebuilt for the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.machinery
import logging
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from bot.core.document import DocumentItems, Origin, document_items
from bot.errors import ErrorCode, ParseError
from bot.ports import FeedParser

_T = TypeVar("_T")
log = logging.getLogger(__name__)


def read_document(
    parser: FeedParser,
    body: bytes,
    headers: Mapping[str, str] | None,
    origin: Origin,
    known: frozenset[str],
) -> DocumentItems:
    """What a poll keeps of a body: its items' keys and its new items
    normalised, made where the parse runs (a worker process, or a thread), so
    a pool's workers key and normalise too and raw items never leave them."""
    return document_items(parser.parse(body, headers).entries, origin, known)


def default_processes() -> int:
    """Parse workers when the settings name none: one where this process may
    use two CPUs or more, none (a thread) on one. One, not a CPU each: the
    bot's own process (fetching, deciding, storing) is the other half of the
    work, and on 2 CPUs a second worker only took turns with it (slower)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return 1 if cpus >= 2 else 0


#: What a worker loads before its first document (see ``ParsePool._pool``).
_WORKER_MODULES = ("bot.feeds.parse_pool", "bot.feeds.formats")


def _ready() -> None:
    """A worker's first task: its modules are loaded by then."""


def _start_worker(bot: int) -> None:
    """A worker's start. Ctrl-C in a terminal reaches the whole process group,
    and the bot's process stops its workers itself (``close``): a worker that
    took it would die printing a KeyboardInterrupt traceback, mid-document.
    And the worker ends with the bot's process ``bot``, however that ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(bot,), name="end-with-bot", daemon=True).start()


def _end_with(bot: int) -> None:
    """Exit once process ``bot`` has ended. A worker holds its own task
    queue's write end and the forkserver's keep-alive pipe, so after the bot
    was killed (kill -9, the OOM killer) it would wait for tasks forever, the
    forkserver with it, both holding the bot's stdout and stderr open."""
    try:
        ended = os.pidfd_open(bot)
    except (AttributeError, OSError):  # not Linux 5.3+, or already gone
        while _running(bot):
            time.sleep(1.0)
    else:
        select.select([ended], [], [])  # readable when the process has ended
    os._exit(0)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, though another user's: the id was reused
        pass
    return True


@contextlib.contextmanager
def _main_script_left_out() -> Iterator[None]:
    """While a worker starts: multiprocessing re-imports the parent's main
    script in each worker (so that functions defined there unpickle). The
    bot's is the ``threadline`` entry script, which imports the whole bot
    (database, chat SDKs, matcher): 95 MB a worker instead of 28, for nothing,
    since a worker runs only ``read_document``. A ``__main__`` whose spec is
    named ``__main__`` is left alone in the child (as ``python -m bot``'s
    ``bot.__main__`` already is)."""
    main = sys.modules["__main__"]
    if getattr(main, "__spec__", None) is not None:
        yield  # run as a module: multiprocessing imports it or skips it itself
        return
    main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


class _ReadingWorkers(ProcessPoolExecutor):
    """A process pool whose workers start without the parent's main script."""

    def _spawn_process(self) -> None:
        with _main_script_left_out():
            super()._spawn_process()  # type: ignore[misc]


class ParsePool:
    """Runs ``parser.parse`` in ``processes`` worker processes (``parser`` must be
    picklable). ``parse`` raises what the parser raises (``ParseError``)."""

    def __init__(self, processes: int, start_method: str = "forkserver") -> None:
        self.processes = processes
        # Four documents per worker: one read, the next ones already waiting,
        # so a worker never idles while a busy event loop (deciding, storing)
        # gets round to sending it the next body. With two, the changed cycle
        # took about 10% longer; each slot holds at most one body.
        self.slots = 4 * processes
        self.start_method = start_method
        self._executor: _ReadingWorkers | None = None
        self._in_thread: ThreadParse | None = None  # where workers cannot start

    @property
    def beside(self) -> bool:
        return self._in_thread is None

    def _pool(self) -> _ReadingWorkers:
        if self._executor is None:
            # forkserver: forking a process that runs an event loop and holds
            # database connections would copy them into the workers. The server
            # loads only what reading needs (by default it would load the whole
            # bot, as ``__main__``), and each worker forks from it with that loaded.
            context = multiprocessing.get_context(self.start_method)
            context.set_forkserver_preload(list(_WORKER_MODULES))
            self._executor = _ReadingWorkers(
                self.processes,
                mp_context=context,
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return self._executor

    async def start(self) -> None:
        """Start a worker now, so the first poll does not wait for the process
        and its parsers to load (seconds on a busy machine); the executor
        starts the others as documents arrive. Where no process can be started
        (a sandbox without POSIX semaphores, say), feeds are read in a thread
        instead, and the log says why."""
        loop = asyncio.get_running_loop()
        try:
            pool = self._pool()
            await loop.run_in_executor(pool, _ready)
        except (OSError, ValueError, ImportError, NotImplementedError, BrokenProcessPool) as error:
            log.warning("feeds are read in a thread: parse workers cannot start here (%s)", error)
            self.close()
            self._in_thread = ThreadParse()

    async def read(
        self,
        parser: FeedParser,
        body: bytes,
        headers: Mapping[str, str] | None,
        origin: Origin,
        known: frozenset[str],
    ) -> DocumentItems:
        """``read_document`` in a worker."""
        if self._in_thread is not None:
            return await self._in_thread.read(parser, body, headers, origin, known)
        work = functools.partial(read_document, parser, origin=origin, known=known)
        return await self._run(work, body, headers)

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

    slots = 1
    beside = False

    async def read(
        self,
        parser: FeedParser,
        body: bytes,
        headers: Mapping[str, str] | None,
        origin: Origin,
        known: frozenset[str],
    ) -> DocumentItems:
        return await asyncio.to_thread(read_document, parser, body, headers, origin, known)
