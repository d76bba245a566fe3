"""Reading documents in worker processes gives the same items as reading them in a
thread, and a worker that dies fails only the feed it was reading."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.document import Origin
from bot.core.items import ParsedFeed
from bot.errors import ParseError
from bot.feeds.feedparser_adapter import FeedparserParser
from bot.feeds.parse_pool import ParsePool, ThreadParse, default_processes, read_document
from tests.support.feedserver import atom, rss
from tests.support.parse_workers import running_workers

ITEMS = [
    {
        "guid": f"g{i}",
        "link": f"https://e.example/{i}",
        "title": f"Item {i} &amp; more",
        "summary": "<p>Hello <b>world</b></p>",
        "published": None,
    }
    for i in range(5)
]
ORIGIN = Origin(7, "Example News", datetime(2026, 12, 1, tzinfo=UTC))
NOTHING: frozenset[str] = frozenset()


class DyingParser:
    """Kills the worker process it runs in (as a crash in a C extension would)."""

    def parse(
        self, body: bytes, headers: Mapping[str, str] | None = None, known: Collection[str] = ()
    ) -> ParsedFeed:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")


async def test_the_pool_reads_like_the_thread_and_survives_a_dead_worker() -> None:
    pool = ParsePool(2)
    parser = FeedparserParser()
    try:
        for body in (rss(ITEMS), atom(ITEMS)):
            read = await pool.read(parser, body, {}, ORIGIN, NOTHING)
            assert read == read_document(parser, body, {}, ORIGIN, NOTHING)
            assert [e.url for e in read.new] == [item["link"] for item in ITEMS]
        with pytest.raises(ParseError, match="died"):
            await pool.read(DyingParser(), rss(ITEMS), {}, ORIGIN, NOTHING)
        read = await pool.read(parser, rss(ITEMS), {}, ORIGIN, NOTHING)
        assert read == read_document(parser, rss(ITEMS), {}, ORIGIN, NOTHING)
        with pytest.raises(ParseError):
            await pool.read(parser, b"<html><body>no feed</body></html>", {}, ORIGIN, NOTHING)
    finally:
        await pool.close()


class FaultyParser:
    """Breaks its promise to raise only ``ParseError``: a bug."""

    def parse(
        self, body: bytes, headers: Mapping[str, str] | None = None, known: Collection[str] = ()
    ) -> ParsedFeed:
        raise ValueError("a bug in the parser")


async def test_documents_queued_behind_a_dying_one_are_read_by_the_next_worker() -> None:
    """A worker holds four documents at once; when it dies, only the one it
    was reading fails."""
    pool = ParsePool(1)
    parser = FeedparserParser()
    try:
        await pool.start()
        (first,) = running_workers(pool)
        reads = await asyncio.gather(
            pool.read(DyingParser(), rss(ITEMS), {}, ORIGIN, NOTHING),
            *(pool.read(parser, body, {}, ORIGIN, NOTHING) for body in (rss(ITEMS), atom(ITEMS))),
            return_exceptions=True,
        )
        assert isinstance(reads[0], ParseError) and "died" in str(reads[0])
        assert reads[1:] == [
            read_document(parser, b, {}, ORIGIN, NOTHING) for b in (rss(ITEMS), atom(ITEMS))
        ]
        (second,) = running_workers(pool)
        assert second != first
    finally:
        await pool.close()


async def test_a_bug_in_a_worker_reaches_the_bot_with_the_workers_traceback() -> None:
    pool = ParsePool(1)
    try:
        with pytest.raises(ValueError, match="a bug in the parser") as raised:
            await pool.read(FaultyParser(), rss(ITEMS), {}, ORIGIN, NOTHING)
        # the worker's traceback, down to the line that raised
        assert 'raise ValueError("a bug in the parser")' in str(raised.value.__cause__)
        # and the worker goes on reading
        read = await pool.read(FeedparserParser(), rss(ITEMS), {}, ORIGIN, NOTHING)
        assert len(read.new) == len(ITEMS)
    finally:
        await pool.close()


class WhereParser:
    """Reads as feedparser does, noting the process and thread of each read."""

    def __init__(self) -> None:
        self.inner = FeedparserParser()
        self.reads: list[tuple[int, str]] = []

    def parse(
        self, body: bytes, headers: Mapping[str, str] | None = None, known: Collection[str] = ()
    ) -> ParsedFeed:
        self.reads.append((os.getpid(), threading.current_thread().name))
        return self.inner.parse(body, headers, known)


async def test_a_document_read_here_is_read_on_the_callers_thread_as_a_worker_reads_it() -> None:
    pool = ParsePool(1)
    parser = WhereParser()
    here = ThreadPoolExecutor(1, thread_name_prefix="ours")
    try:
        body = rss(ITEMS)
        in_worker = await pool.read(parser, body, {}, ORIGIN, NOTHING)
        assert parser.reads == []  # the worker read its own copy of the parser
        read = await pool.read(parser, body, {}, ORIGIN, NOTHING, here=here)
        assert read == in_worker
        [(pid, thread)] = parser.reads
        assert pid == os.getpid() and thread.startswith("ours")
        with pytest.raises(ParseError, match="HTML"):
            await pool.read(
                parser, b"<html><body>no feed</body></html>", {}, ORIGIN, NOTHING, here=here
            )
    finally:
        await pool.close()
        here.shutdown()


async def test_a_closed_pool_reads_no_more() -> None:
    pool = ParsePool(1)
    await pool.start()
    (worker,) = running_workers(pool)
    await pool.close()
    with pytest.raises(ParseError, match="stopping"):
        await pool.read(FeedparserParser(), rss(ITEMS), {}, ORIGIN, NOTHING)
    assert _ends(worker), "the worker outlived its pool"


async def test_items_known_from_the_last_document_are_keyed_but_not_normalised() -> None:
    parser = FeedparserParser()
    everything = await ThreadParse().read(parser, rss(ITEMS), {}, ORIGIN, NOTHING)
    known = frozenset(everything.keys[1:4])
    read = await ThreadParse().read(parser, rss(ITEMS), {}, ORIGIN, known)
    assert read.keys == everything.keys  # every key, to remember the document by
    assert [e.key for e in read.new] == [everything.keys[0], everything.keys[4]]
    assert {(e.feed_id, e.source, e.first_seen) for e in read.new} == {
        (7, "Example News", ORIGIN.first_seen)
    }


async def test_a_started_pool_has_a_worker_running_before_the_first_document() -> None:
    pool = ParsePool(2)
    try:
        await pool.start()
        workers = running_workers(pool)
        assert workers and os.getpid() not in workers
        read = await pool.read(FeedparserParser(), rss(ITEMS), {}, ORIGIN, NOTHING)
        assert len(read.new) == len(ITEMS)
        assert workers <= running_workers(pool)  # the started one still reads
    finally:
        await pool.close()


async def test_where_no_worker_can_start_feeds_are_read_in_a_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = ParsePool(1, start_method="no-such-method")  # as a sandbox without processes
    try:
        await pool.start()
        assert not pool.beside  # batches then follow one another
        assert "parse workers cannot start here" in caplog.text
        read = await pool.read(FeedparserParser(), rss(ITEMS), {}, ORIGIN, NOTHING)
        assert read == read_document(FeedparserParser(), rss(ITEMS), {}, ORIGIN, NOTHING)
        assert running_workers(pool) == set()
    finally:
        await pool.close()


def test_workers_start_without_the_script_that_started_the_bot(tmp_path: Path) -> None:
    """multiprocessing re-imports the parent's main script in each worker; the
    bot's (``threadline``) imports all of the bot, which made every worker
    95 MB. A worker runs what reading needs, never the script."""
    ran = tmp_path / "ran"
    entry = _script(
        tmp_path,
        f"""
            import asyncio, os
            with open({str(ran)!r}, "a") as out:
                out.write(f"{{os.getpid()}}\\n")
            from bot.feeds.feedparser_adapter import FeedparserParser
            from bot.feeds.parse_pool import ParsePool
            from tests.feeds.test_parse_pool import ITEMS, NOTHING, ORIGIN
            from tests.support.feedserver import rss

            async def main():
                pool = ParsePool(1)
                try:
                    await pool.start()
                    read = await pool.read(FeedparserParser(), rss(ITEMS), {{}}, ORIGIN, NOTHING)
                    print(os.getpid(), len(read.new))
                finally:
                    await pool.close()

            if __name__ == "__main__":
                asyncio.run(main())
            """,
    )
    out, err = entry.communicate(timeout=120)
    assert entry.returncode == 0, err
    pid, items = out.split()
    assert items == str(len(ITEMS))  # the worker read the document
    assert ran.read_text().split() == [pid]  # and only the script's own process ran it


@pytest.mark.parametrize(("cpus", "workers"), [({0}, 0), ({0, 1}, 1), (set(range(8)), 1)])
def test_by_default_one_worker_reads_where_two_cpus_are_usable(
    monkeypatch: pytest.MonkeyPatch, cpus: set[int], workers: int
) -> None:
    """On one CPU a worker would only take turns with the bot's process; on
    more, one worker balances it (the bot's process fetches, decides, stores)."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cpus)
    assert default_processes() == workers


async def test_an_item_with_no_usable_date_or_headline_keeps_its_flags_through_a_worker() -> None:
    """What a worker sends back is the entry whole: the flags that change its
    reply ("first seen …", a made headline) survive the process boundary."""
    undated = [{**ITEMS[0], "title": "", "published": "not a date at all"}]
    pool = ParsePool(1)
    parser = FeedparserParser()
    try:
        read = await pool.read(parser, rss(undated), {}, ORIGIN, NOTHING)
    finally:
        await pool.close()
    assert read == read_document(parser, rss(undated), {}, ORIGIN, NOTHING)
    (entry,) = read.new
    assert entry.date_was_replaced and entry.title_made
    assert entry.published == ORIGIN.first_seen


async def test_ctrl_c_in_a_terminal_leaves_the_workers_to_the_bot() -> None:
    """Ctrl-C reaches the whole process group: a worker goes on (no traceback
    from it); the bot's process stops it when it closes the pool."""
    pool = ParsePool(1)
    try:
        await pool.start()
        (worker,) = running_workers(pool)
        os.kill(worker, signal.SIGINT)
        read = await pool.read(FeedparserParser(), rss(ITEMS), {}, ORIGIN, NOTHING)
        assert len(read.new) == len(ITEMS)
        assert running_workers(pool) == {worker}
    finally:
        await pool.close()


def test_a_bot_killed_outright_leaves_no_worker_behind(tmp_path: Path) -> None:
    """kill -9 (or the OOM killer) gives the bot no chance to close its pool:
    the worker ends by itself, and with it the forkserver, so nothing keeps
    running or holds the bot's output open."""
    bot = _script(
        tmp_path,
        """
            import asyncio, os, sys
            from bot.feeds.feedparser_adapter import FeedparserParser
            from bot.feeds.parse_pool import ParsePool
            from tests.feeds.test_parse_pool import ITEMS, NOTHING, ORIGIN
            from tests.support.feedserver import rss
            from tests.support.parse_workers import running_workers

            async def main():
                pool = ParsePool(1)
                await pool.read(FeedparserParser(), rss(ITEMS), {}, ORIGIN, NOTHING)
                print(*running_workers(pool), flush=True)
                sys.stdin.read()  # until killed

            asyncio.run(main())
            """,
        stdin=subprocess.PIPE,
    )
    try:
        assert bot.stdout is not None
        line = bot.stdout.readline()
        assert line, bot.communicate()[1]
        worker = int(line)
        ended = os.pidfd_open(worker)
        bot.kill()
        assert _ends(worker, ended), "the worker outlived the bot"
        _out, _err = bot.communicate(timeout=60)  # nothing holds its output open
    finally:
        bot.kill()
        bot.wait()


def _ends(pid: int, pidfd: int | None = None) -> bool:
    """Whether process ``pid`` ends within a minute (or has ended)."""
    try:
        pidfd = os.pidfd_open(pid) if pidfd is None else pidfd
    except ProcessLookupError:
        return True
    readable, _, _ = select.select([pidfd], [], [], 60)
    return bool(readable)


def _script(tmp_path: Path, source: str, **popen: Any) -> subprocess.Popen[str]:
    """``source`` run as a script, as the ``threadline`` entry point is (a
    ``__main__`` with a file), importing the bot from this repository."""
    script = tmp_path / "the_bot.py"
    script.write_text(textwrap.dedent(source), encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        **popen,
    )
