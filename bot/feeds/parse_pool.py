"""Where feeds are parsed (the ``ParseRunner`` port): in worker processes, so a
busy bot uses more than one core, or in a worker thread.

feedparser is pure Python and holds the GIL: in threads, parses only take turns.
A pool of processes parses several feeds at once while the event loop goes on
fetching. A worker that dies (a crash in a C extension, the OOM killer) fails
only the feed it was parsing: the documents queued behind it go to a worker
started in its place. A worker ends when the bot's end of its socket closes,
so it never outlives the bot's process, however that ends.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import importlib.machinery
import logging
import multiprocessing
import multiprocessing.process
import os
import pickle
import socket
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from typing import Any

from bot.core.document import DocumentItems, Origin
from bot.errors import ErrorCode, ParseError
from bot.feeds.parse_worker import HEAD, framed, read_document, serve
from bot.ports import FeedParser

log = logging.getLogger(__name__)


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


#: What a worker loads before its first document (see ``ParsePool._start_process``).
_WORKER_MODULES = ("bot.feeds.parse_worker", "bot.feeds.formats")


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


class _Worker(asyncio.Protocol):
    """One worker process and the bot's end of the socket it reads on.

    Documents go in order and come back in order (a worker reads one at a
    time), each as one frame (``parse_worker.framed``). ``waiting`` holds the
    answers not come yet, oldest first: the document the worker is reading,
    then those queued behind it in the socket. ``ended`` is done once the
    connection is."""

    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self.process = process
        self.waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.transport: asyncio.Transport | None = None
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()

    @property
    def lost(self) -> bool:
        """The connection ended: the worker died, or the pool closed it."""
        return self.ended.done()

    def send(self, frame: bytes) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        if self.lost or self.transport is None:
            future.set_exception(_Unread())
            return future
        self.waiting.append(future)
        self.transport.write(frame)
        return future

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= HEAD.size:
            (size,) = HEAD.unpack_from(buffer)
            end = HEAD.size + size
            if len(buffer) < end:
                return
            # The worker's own answer, on a socket pair no other process holds.
            ok, value, trace = pickle.loads(buffer[HEAD.size : end])  # noqa: S301
            del buffer[:end]
            future = self.waiting.popleft()
            if future.cancelled():
                continue  # its poll was given up (a failed batch): nobody waits
            if ok:
                future.set_result(value)
                continue
            if trace:
                value.__cause__ = _InTheWorker(trace)
            future.set_exception(value)

    def connection_lost(self, exc: Exception | None) -> None:
        """The worker ended (it was killed, or crashed in a C extension), or the
        pool closed. The document it was reading fails; those queued behind it
        were never read, so they go to another worker."""
        if not self.ended.done():
            self.ended.set_result(None)
        for i, future in enumerate(self.waiting):
            if future.done():
                continue
            if i == 0:
                future.set_exception(
                    ParseError(
                        "the parser process died while reading this feed", code=ErrorCode.PARSE
                    )
                )
            else:
                future.set_exception(_Unread())
        self.waiting.clear()


class _Unread(Exception):
    """A document sent to a worker that ended before reading it."""


class _InTheWorker(Exception):
    """The traceback, in the worker, of an exception it sent back."""

    def __str__(self) -> str:
        return f"\n{self.args[0]}"


class ParsePool:
    """Runs ``read_document`` in ``processes`` worker processes, each at the
    other end of a socket (``parser`` must be picklable). ``read`` raises what
    the parser raises (``ParseError``).

    Why not ``concurrent.futures.ProcessPoolExecutor``: its two helper threads
    (one pickles and writes each call, one reads each result and wakes the
    event loop) cost the bot's process about 0.2 ms of CPU per document, a
    fifth of a changed cycle's, and took the GIL from the event loop each
    time. Here the event loop writes a document's frame and reads its answer
    itself."""

    def __init__(self, processes: int, start_method: str = "forkserver") -> None:
        self.processes = processes
        # Four documents per worker: one read, the next ones already waiting,
        # so a worker never idles while a busy event loop (deciding, storing)
        # gets round to sending it the next body. With two, the changed cycle
        # took about 10% longer; each slot holds at most one body.
        self.slots = 4 * processes
        self.start_method = start_method
        self._workers: list[_Worker] = []
        self._starting = asyncio.Lock()
        self._in_thread: ThreadParse | None = None  # where workers cannot start
        self._closed = False

    @property
    def beside(self) -> bool:
        return self._in_thread is None

    async def start(self) -> None:
        """Start the workers now, so the first poll does not wait for them and
        their parsers to load (seconds on a busy machine). Where no process can
        be started (a sandbox that forbids it, say), feeds are read in
        a thread instead, and the log says why."""
        await self._worker()

    async def read(
        self,
        parser: FeedParser,
        body: bytes,
        headers: Mapping[str, str] | None,
        origin: Origin,
        known: frozenset[str],
        *,
        here: Executor | None = None,
    ) -> DocumentItems:
        """``read_document`` in a worker, or on ``here`` (see ``ParseRunner``)."""
        if self._in_thread is not None or here is not None:
            return await ThreadParse().read(parser, body, headers, origin, known, here=here)
        frame = framed((parser, body, dict(headers or {}), origin, known))
        while True:
            worker = await self._worker()
            if worker is None:  # no worker could start: read here
                assert self._in_thread is not None
                return await self._in_thread.read(parser, body, headers, origin, known)
            try:
                result: DocumentItems = await worker.send(frame)
            except _Unread:
                continue  # queued behind a document that killed its worker
            return result

    async def _worker(self) -> _Worker | None:
        """The live worker with the fewest documents waiting, once every one of
        the ``processes`` runs (started here, in a thread: a process takes a
        while to start). None when none can start: then reading is in a thread."""
        if len(self._live()) < self.processes and self._in_thread is None:
            async with self._starting:  # one start at a time; the list changes only here
                while len(live := self._live()) < self.processes and self._in_thread is None:
                    if self._closed:
                        raise ParseError(
                            "the bot is stopping: feeds are not read", code=ErrorCode.PARSE
                        )
                    try:
                        worker = await self._spawn()
                    except (OSError, ValueError, ImportError, NotImplementedError) as error:
                        log.warning(
                            "feeds are read in a thread: parse workers cannot start here (%s)",
                            error,
                        )
                        await self._stop_workers()
                        self._in_thread = ThreadParse()
                        return None
                    self._workers = [*live, worker]
        if self._in_thread is not None:
            return None
        return min(self._live(), key=lambda w: len(w.waiting))

    def _live(self) -> list[_Worker]:
        return [w for w in self._workers if not w.lost]

    async def _spawn(self) -> _Worker:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        try:
            process = await asyncio.to_thread(self._start_process, theirs)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # the worker has its own copy
        worker = _Worker(process)
        await loop.create_connection(lambda: worker, sock=ours)
        try:
            await worker.send(framed(None))  # its first answer: its modules are loaded
        except (ParseError, _Unread) as error:
            raise OSError("the parse worker ended as it started") from error
        return worker

    def _start_process(self, theirs: socket.socket) -> multiprocessing.process.BaseProcess:
        # forkserver: forking a process that runs an event loop and holds
        # database connections would copy them into the workers. The server
        # loads only what reading needs (by default it would load the whole
        # bot, as ``__main__``), and each worker forks from it with that loaded.
        context = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            context.set_forkserver_preload(list(_WORKER_MODULES))
        process: multiprocessing.process.BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=serve, args=(theirs,), name="threadline-parse", daemon=True
        )
        with _main_script_left_out():
            process.start()
        return process

    async def close(self) -> None:
        """Stop the workers: each ends when its socket closes, after the
        document it is reading. Documents still waiting fail (``ParseError``)."""
        self._closed = True
        await self._stop_workers()

    async def _stop_workers(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:
            if worker.transport is not None:
                worker.transport.close()
        await asyncio.gather(*(w.ended for w in workers))


class ThreadParse:
    """Runs ``parser.parse`` in a worker thread (the event loop's, or ``here``),
    one at a time (parsing holds the GIL, so parallel threads would only take
    turns): the event loop goes on."""

    slots = 1
    beside = False

    async def read(
        self,
        parser: FeedParser,
        body: bytes,
        headers: Mapping[str, str] | None,
        origin: Origin,
        known: frozenset[str],
        *,
        here: Executor | None = None,
    ) -> DocumentItems:
        read = functools.partial(read_document, parser, body, headers, origin, known)
        return await asyncio.get_running_loop().run_in_executor(here, read)
