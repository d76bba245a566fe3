"""The whole poll pipeline on loopback, against a naive bot and the parsing floor.

    .venv/bin/python bench/bench_pipeline.py [--quick] [--database sqlite|postgres]
        [--feeds 1000] [--items 50] [--storylines 50] [--topical 0.05]
        [--json-out bench/out/bench_pipeline.json]

One run, all on 127.0.0.1 (a synthetic feed server in a child process):

* cycles of the real pipeline (``bot.app.build`` → ``Poller.run_due``) over
  ``--feeds`` feeds × ``--items`` items: the first poll (every item new), a
  cycle where every feed changed (a few new items each, every body parsed),
  one where the server answers 304, one where bodies are unchanged and the
  server sends no validators (the hash skip). Parser calls are counted;
* each stage's share, timed around the real components (the parser, the
  store's methods, ``normalise``, the matcher, fact extraction, dedupe);
* matching items/s with ``--storylines`` storylines (``bench_match``'s synthesis);
* peak RSS of the pipeline (1,000 feeds and ≥ 50,000 stored items), each
  pipeline run in a process of its own, with its parse workers;
* baselines on the same bytes: the parser alone, the fast parser, the floor
  (``lxml.etree.fromstring``) and a naive bot (``naive_bot.py``).

Prints a table and the targets, writes JSON. A script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import io
import json
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_match import entries as corpus_entries  # noqa: E402
from bench_match import synthesise  # noqa: E402
from pipeline_feeds import HEADERS, ServerClient, ServerProcess, feed_body, texts  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import bot.core.decide as decide_module  # noqa: E402
import bot.core.document as document_module  # noqa: E402
import bot.service.poll_cycle as poll_module  # noqa: E402
from bot.app import build  # noqa: E402
from bot.config.settings import load_settings  # noqa: E402
from bot.config.storylines import load_storylines  # noqa: E402
from bot.core.items import FeedSeed, ParsedFeed  # noqa: E402
from bot.core.match import Matcher  # noqa: E402
from bot.core.normalise import document_keys, normalise  # noqa: E402
from bot.core.subscriptions import ChannelAddress  # noqa: E402
from bot.core.titles import as_published  # noqa: E402
from bot.errors import ParseError  # noqa: E402
from bot.feeds.feedparser_adapter import FeedparserParser  # noqa: E402
from bot.feeds.fetch import HttpFetcher  # noqa: E402
from bot.feeds.formats import FastFeedParser  # noqa: E402
from bot.feeds.parse_pool import ParsePool, ThreadParse  # noqa: E402
from bot.platforms.console import ConsolePlatform  # noqa: E402
from bot.ports import FeedParser  # noqa: E402
from bot.service.poll_cycle import Poller  # noqa: E402
from bot.storage import tables  # noqa: E402
from tests.support.parse_workers import running_workers  # noqa: E402

STORE_METHODS = (
    "claim_feeds",
    "release_feeds",
    "known_item_keys",
    "recent_entries",
    "claims",
    "fact_states",
    "subscriptions",
    "record_cycle",
    "record_feed_updates",
)
CHANGED_SHIFT = 5  # new items per feed in the "every feed changed" cycle


# --- instrumentation ------------------------------------------------------------------------


class Stages:
    """Seconds and calls per stage, summed over a cycle."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self.seconds[stage] += seconds
            self.calls[stage] += 1

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def timed(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """For pure CPU work: the calling thread's CPU time, so time spent
        waiting for the GIL while a parse thread holds it is not counted."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(stage, time.thread_time() - began)

        return wrapper

    def timed_async(self, stage: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.add(stage, time.perf_counter() - began)

        return wrapper


class CountingParser:
    """Wraps the real parser: counts calls and the parse thread's CPU time
    (``thread_time``, so waiting for the GIL is not counted as parsing)."""

    def __init__(self, inner: FeedParser, stages: Stages) -> None:
        self.inner = inner
        self.stages = stages

    def parse(
        self, body: bytes, headers: Mapping[str, str] | None = None, known: Collection[str] = ()
    ) -> ParsedFeed:
        began = time.thread_time()
        try:
            return self.inner.parse(body, headers, known)
        finally:
            self.stages.add("parse", time.thread_time() - began)


def rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the database -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def database(kind: str, workdir: Path, admin_url: str | None) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        return
    if not admin_url:
        raise SystemExit("--database postgres needs --postgres-url or THREADLINE_TEST_POSTGRES_URL")
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    name = f"tl_bench_{uuid.uuid4().hex[:8]}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


# --- the pipeline -----------------------------------------------------------------------------


def make_parser(kind: str) -> FeedParser:
    return FastFeedParser() if kind == "fast" else FeedparserParser()


async def run_pipeline(
    args: argparse.Namespace,
    server: ServerClient,
    db_url: str,
    workdir: Path,
    kind: str,
    *,
    per_item: bool,
) -> dict[str, Any]:
    """The cycles on a fresh database. ``per_item``: time each item's stages
    too (normalise, match, facts, dedupe): about 18 µs an item, a fifth of the
    first poll, so the throughput is read from a run without them."""
    rss_before = rss_mb()
    stages = Stages()
    settings = load_settings(
        database_url=db_url,
        storylines_dir=ROOT / "storylines",
        feeds_file=workdir / "no-feeds.yaml",
        allow_private_feeds=True,
        fetch_concurrency=args.concurrency,
        parse_processes=args.parse_processes,
    )
    parser = CountingParser(make_parser(kind), stages)
    fetcher = HttpFetcher(allow_private=True, timeout=120, max_bytes=5 * 1024 * 1024)
    app = await build(
        settings,
        fetcher=fetcher,
        parser=parser,
        platforms={"console": ConsolePlatform(io.StringIO())},
        sync_feeds=False,
    )
    await app.start()
    restore: Callable[[], None] = _nothing
    poller: Poller | None = None
    try:
        storylines = synthesise(load_storylines(ROOT / "storylines"), args.storylines)
        now = app.clock.now()
        channel = ChannelAddress("console", "terminal")
        for s in storylines:
            if s.status == "open":
                await app.store.follow(channel, s.id, now)
        seeds = [FeedSeed(server.url(f), f"Outlet {f}", 600) for f in range(args.feeds)]
        await app.store.sync_feeds(seeds, now)
        pool = app.parse_pool  # started by app.start(), as the bot's is
        workers = pool.processes if pool is not None else 0
        print(f"  documents read in {workers or 'a thread, no'} worker processes")
        if pool is not None:
            # Documents are read (parsed, keyed, normalised) in the workers:
            # count and time them (wall) from here, as "parse".
            pool.read = stages.timed_async("parse", pool.read)  # type: ignore[method-assign]
        poller = Poller(
            store=app.store,
            ledger=app.poller.ledger,
            fetcher=fetcher,
            parsing=pool or ThreadParse(),
            parser=parser.inner if pool is not None else parser,
            storylines=storylines,
            clock=app.clock,
            audit=app.audit,
            owner=app.owner,
            concurrency=args.concurrency,
        )
        restore = _instrument(poller, stages, per_item=per_item)
        fetched = Stages()
        fetcher.fetch = fetched.timed_async("fetch", fetcher.fetch)  # type: ignore[method-assign]

        cycles: dict[str, Any] = {}
        plan = [
            ("first_poll", 0, args.items, True),
            ("all_changed", 1, CHANGED_SHIFT, True),
            ("not_modified_304", 1, CHANGED_SHIFT, True),
            ("hash_skip", 1, CHANGED_SHIFT, False),
        ]
        for name, generation, shift, validators in plan:
            server.configure(generation=generation, shift=shift, validators=validators)
            stages.reset()
            fetched.reset()
            began, cpu = time.perf_counter(), time.process_time()
            report = await poller.run_due(all_feeds=True)
            wall = time.perf_counter() - began
            cpu = time.process_time() - cpu
            served = server.stats()
            stored = await _item_count(app)
            cycles[name] = _cycle_result(
                name, wall, report, stages, fetched, served, args.items, stored
            )
            # This process's CPU time (all threads): well under the wall time, the
            # cycle waited (on the feed server, or on a machine busy elsewhere).
            cycles[name]["process_cpu_seconds"] = round(cpu, 3)
            print(_cycle_line(cycles[name]), flush=True)
        out: dict[str, Any] = {
            "cycles": cycles,
            "peak_rss_mb": round(rss_mb(), 1),
            "rss_before_pipeline_mb": round(rss_before, 1),
        }
        if pool is not None:
            # The workers' memory is the pipeline's too (ru_maxrss is this process's).
            out["parse_workers_peak_rss_mb"] = _workers_peak_rss(pool)
        out["same_decisions"] = await _same_decisions(app, storylines, server, args)
        print(f"  same decisions as the matcher alone: {out['same_decisions']}", flush=True)
        if pool is None and isinstance(parser.inner, FastFeedParser):
            # (With a pool the workers' parsers count, not this one.)
            out["fast_parser_reads"] = dict(parser.inner.stats)
        return out
    finally:
        restore()
        if poller is not None:
            poller.close()
        await app.close()


async def _item_count(app: Any) -> int:
    # Not tests.support.store_rows': it loads the in-memory store, which the
    # measured process (the bot's own modules only) has no use for.
    async with app.store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(tables.items)) or 0)


def _nothing() -> None:
    pass


async def run_pipeline_apart(
    pipeline: functools.partial[Awaitable[dict[str, Any]]], kind: str
) -> dict[str, Any]:
    """``pipeline`` (``run_pipeline`` with its arguments, the server as a plain
    client) in a process of its own, spawned (nothing of this one inherited),
    as the bot runs: its peak RSS is then the pipeline's, not this benchmark's
    own modules' (lxml, the naive bot: 12 MB) nor what an earlier pipeline
    left in the allocator (the feedparser one runs first)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_pipeline_apart, args=(theirs, pipeline))
    process.start()
    theirs.close()
    try:
        result: dict[str, Any] = await asyncio.to_thread(ours.recv)
    except EOFError:
        raise RuntimeError(
            f"the {kind} pipeline's process failed (its traceback is above)"
        ) from None
    finally:
        await asyncio.to_thread(process.join)
    return result


def _pipeline_apart(conn: Any, pipeline: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    async def run() -> dict[str, Any]:
        return await pipeline()

    conn.send(asyncio.run(run()))


def _workers_peak_rss(pool: ParsePool) -> list[float]:
    """Peak RSS (VmHWM, MiB) of each parse worker process (Linux)."""
    out = []
    for pid in running_workers(pool):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
            out.append(round(int(status.split("VmHWM:")[1].split()[0]) / 1024, 1))
    return out


async def _same_decisions(
    app: Any, storylines: list[Any], server: ServerClient, args: argparse.Namespace
) -> dict[str, Any]:
    """What the pipeline stored for a sample of feeds (its items, and the
    storylines each matched) against the same bytes read and matched here, one
    item at a time, with none of the pipeline's batching, pools or caches."""
    sample = min(args.feeds, 50)
    pool = texts()
    matcher = Matcher(storylines)
    seen = app.clock.now()
    feeds = {f.url: f for f in await app.store.feeds()}
    expected_items: set[tuple[int, str]] = set()
    expected_matches: set[tuple[int, str, str]] = set()
    for f in range(sample):
        feed = feeds[server.url(f)]
        for generation, shift in ((0, args.items), (1, CHANGED_SHIFT)):
            body = feed_body(
                f, generation, per_feed=args.items, shift=shift, pool=pool, topical=args.topical
            )
            raws = FastFeedParser().parse(body, HEADERS).entries
            for raw, key in zip(raws, document_keys(raws), strict=True):
                expected_items.add((feed.id, key))
                entry = normalise(raw, feed_id=feed.id, source=feed.name, first_seen=seen, key=key)
                for r in matcher.match(as_published(entry)):
                    if r.matched:
                        expected_matches.add((feed.id, key, r.storyline))
    ids = sorted({f.id for f in feeds.values()} & {i for i, _ in expected_items})
    async with app.store.engine.connect() as conn:
        items = tables.items.c
        rows = await conn.execute(select(items.feed_id, items.key).where(items.feed_id.in_(ids)))
        stored_items = {(r.feed_id, r.key) for r in rows}
        rows = await conn.execute(
            select(tables.items.c.feed_id, tables.items.c.key, tables.matches.c.storyline)
            .join(tables.matches, tables.matches.c.item_id == tables.items.c.id)
            .where(tables.items.c.feed_id.in_(ids))
        )
        stored_matches = {(r.feed_id, r.key, r.storyline) for r in rows}
    return {
        "feeds": sample,
        "items": len(expected_items),
        "matches": len(expected_matches),
        "same": stored_items == expected_items and stored_matches == expected_matches,
    }


def _instrument(poller: Poller, stages: Stages, *, per_item: bool) -> Callable[[], None]:
    """Time the real components in place (no fork of the pipeline): the store's
    methods and deciding (per batch) always, each item's stages if
    ``per_item``. Returns what undoes the module-level wrapping, for the next
    pipeline run."""
    tracker = decide_module.FactTracker
    index = decide_module.StoryIndex
    saved = (
        document_module.normalise,
        document_module.document_keys,
        poll_module.decide,
        decide_module.read_item,
        tracker.add,
        index.find,
    )

    def restore() -> None:
        (
            document_module.normalise,
            document_module.document_keys,
            poll_module.decide,
            decide_module.read_item,
        ) = saved[:4]
        tracker.add, index.find = saved[4:]  # type: ignore[method-assign]

    store = poller.store
    for name in STORE_METHODS:
        setattr(store, name, stages.timed_async(f"store.{name}", getattr(store, name)))
    poll_module.decide = stages.timed("decide", poll_module.decide)  # type: ignore[assignment]
    if not per_item:
        return restore
    poller.matcher.match = stages.timed("match", poller.matcher.match)  # type: ignore[method-assign]
    # In the thread that reads documents (with a pool, inside "parse").
    document_module.normalise = stages.timed("normalise", document_module.normalise)  # type: ignore[assignment]
    document_module.document_keys = stages.timed("keys", document_module.document_keys)  # type: ignore[assignment]
    decide_module.read_item = stages.timed("facts", decide_module.read_item)  # type: ignore[assignment]
    tracker.add = stages.timed("facts", tracker.add)  # type: ignore[method-assign]
    index.find = stages.timed("dedupe", index.find)  # type: ignore[method-assign]
    return restore


def _cycle_result(
    name: str,
    wall: float,
    report: Any,
    stages: Stages,
    fetched: Stages,
    served: dict[str, int],
    per_feed: int,
    stored: int,
) -> dict[str, Any]:
    seconds = dict(stages.seconds)
    parses = stages.calls.get("parse", 0)
    items_parsed = parses * per_feed
    inner = sum(seconds.get(k, 0.0) for k in ("match", "facts", "dedupe"))
    shares = {
        "parse (CPU)": seconds.get("parse", 0.0),
        "keys": seconds.get("keys", 0.0),
        "normalise": seconds.get("normalise", 0.0),
        "match": seconds.get("match", 0.0),
        "facts": seconds.get("facts", 0.0),
        "dedupe": seconds.get("dedupe", 0.0),
        "decide, other": max(seconds.get("decide", 0.0) - inner, 0.0),
        "store": sum(v for k, v in seconds.items() if k.startswith("store.")),
    }
    shares["fetch + event loop (rest)"] = max(wall - sum(shares.values()), 0.0)
    return {
        "name": name,
        "seconds": round(wall, 3),
        "feeds": report.feeds,
        "fetched_200": report.fetched,
        "not_modified": report.not_modified,
        "unchanged": report.unchanged,
        "errors": len(report.errors),
        "parser_calls": parses,
        "items_parsed": items_parsed,
        "new_items": report.new_items,
        "posts": report.posts,
        "stored_items_after": stored,
        "items_per_s": round(items_parsed / wall) if wall else 0,
        "new_items_per_s": round(report.new_items / wall) if wall else 0,
        "server": served,
        "stage_seconds": {k: round(v, 3) for k, v in shares.items()},
        "stage_share": {k: round(v / wall, 3) for k, v in shares.items()} if wall else {},
        "fetch_calls": fetched.calls.get("fetch", 0),
        "fetch_seconds_summed": round(fetched.seconds.get("fetch", 0.0), 3),
        "store_calls": sum(v for k, v in stages.calls.items() if k.startswith("store.")),
        "store_seconds_by_method": {
            k.removeprefix("store."): round(v, 3)
            for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])
            if k.startswith("store.")
        },
    }


def _take_shares(pipeline: dict[str, Any], timed: dict[str, Any]) -> None:
    """Each cycle's stage shares from the run that timed every item's stages;
    its own items/s stays beside them, to show what the timers cost."""
    for name, cycle in pipeline["cycles"].items():
        other = timed["cycles"][name]
        for key in ("stage_seconds", "stage_share", "store_seconds_by_method"):
            cycle[key] = other[key]
        cycle["items_per_s_with_stage_timers"] = other["items_per_s"]


def _cycle_line(c: dict[str, Any]) -> str:
    return (
        f"  {c['name']:<17} {c['seconds']:>8.2f} s ({c['process_cpu_seconds']:.2f} s CPU)  "
        f"{c['feeds']} feeds  "
        f"{c['parser_calls']} parses  {c['new_items']} new  "
        f"{c['items_per_s']:,} items/s  ({c['fetched_200']} ok, {c['not_modified']} 304, "
        f"{c['unchanged']} unchanged, {c['errors']} errors)"
    )


# --- baselines -------------------------------------------------------------------------------


def parse_rates(bodies: list[bytes], per_feed: int, fast_available: bool) -> dict[str, Any]:
    """Items/s of each parser alone on the same bytes (one thread)."""
    from lxml import etree  # here, not at the top: pipelines run without it

    out: dict[str, Any] = {}
    contenders: list[tuple[str, Callable[[bytes], Any]]] = [
        ("floor: lxml.etree.fromstring", etree.fromstring),
        ("feedparser (FeedparserParser)", lambda b: FeedparserParser().parse(b, HEADERS)),
        ("feedparser-rs (FastFeedParser)", lambda b: FastFeedParser().parse(b, HEADERS)),
    ]
    if fast_available:
        import fastfeedparser

        # Raw, not behind our port: it is not wired in (see bench/README.md).
        contenders.append(("fastfeedparser.parse (raw)", fastfeedparser.parse))
    for name, fn in contenders:
        began = time.perf_counter()
        for body in bodies:
            fn(body)
        elapsed = time.perf_counter() - began
        out[name] = {
            "seconds": round(elapsed, 3),
            "documents": len(bodies),
            "items_per_s": round(len(bodies) * per_feed / elapsed),
            "mb_per_s": round(sum(map(len, bodies)) / elapsed / 2**20, 2),
        }
    return out


def matching_rate(storyline_count: int, rounds: int) -> dict[str, Any]:
    from naive_bot import naive_matches, phrases  # not loaded where pipelines run

    storylines = synthesise(load_storylines(ROOT / "storylines"), storyline_count)
    items = corpus_entries(ROOT.parent / "shared/corpus/dev.jsonl")
    matcher = Matcher(storylines)
    for entry in items:  # warm the fuzzy memo: the steady state of a running bot
        matcher.match(entry)
    began = time.perf_counter()
    for _ in range(rounds):
        for entry in items:
            matcher.match(entry)
    ours = len(items) * rounds / (time.perf_counter() - began)
    vocabulary = phrases(storylines)
    sample = items[: max(20, len(items) // 10)]
    began = time.perf_counter()
    for entry in sample:
        naive_matches(f"{entry.title} {entry.summary}".lower(), vocabulary)
    naive = len(sample) / (time.perf_counter() - began)
    return {
        "storylines": len(storylines),
        "phrases": sum(len(p) for _, p in vocabulary),
        "items": len(items),
        "rounds": rounds,
        "items_per_s": round(ours),
        "naive_rapidfuzz_loop_items_per_s": round(naive, 1),
    }


def naive_rate(server: ServerProcess, count: int, storyline_count: int, workdir: Path) -> Any:
    from naive_bot import run_naive_bot

    storylines = synthesise(load_storylines(ROOT / "storylines"), storyline_count)
    report = run_naive_bot([server.url(f) for f in range(count)], storylines, workdir / "naive.db")
    return {
        "feeds": count,
        "items": report.items,
        "matches": report.matches,
        "seconds": round(report.total, 3),
        "stage_seconds": {k: round(v, 3) for k, v in report.seconds.items()},
        "items_per_s": round(report.items / report.total, 1),
    }


# --- the run -----------------------------------------------------------------------------------


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    pipelines = result["pipelines"]
    main = pipelines.get("fast") or pipelines["feedparser"]
    cycles = main["cycles"]
    parsers = result["parsers"]
    bot_parser = (
        "feedparser-rs (FastFeedParser)"
        if "fast" in pipelines
        else ("feedparser (FeedparserParser)")
    )
    parser_rate = parsers[bot_parser]["items_per_s"]
    naive = result["naive_bot"]["items_per_s"]
    e2e = cycles["first_poll"]["items_per_s"]
    changed = cycles["all_changed"]["items_per_s"]
    rows: list[tuple[str, Any, str, Callable[[Any], bool]]] = [
        ("304 cycle seconds", cycles["not_modified_304"]["seconds"], "<= 2", lambda v: v <= 2),
        ("304 cycle parses", cycles["not_modified_304"]["parser_calls"], "== 0", lambda v: v == 0),
        ("hash-skip cycle seconds", cycles["hash_skip"]["seconds"], "<= 2", lambda v: v <= 2),
        ("hash-skip cycle parses", cycles["hash_skip"]["parser_calls"], "== 0", lambda v: v == 0),
    ]
    if "fast" in pipelines and "feedparser" in pipelines:
        old = pipelines["feedparser"]["cycles"]["all_changed"]["items_per_s"]
        rows.append(
            ("changed cycle, fast / feedparser", round(changed / old, 1), ">= 8", lambda v: v >= 8)
        )
    if "corpus_keys" in result:
        rows.append(
            (
                "corpus documents with other keys",
                result["corpus_keys"]["documents_with_different_keys"],
                "== 0",
                lambda v: v == 0,
            )
        )
    rows += [
        ("first poll / parser alone", round(e2e / parser_rate, 3), "(info)", lambda v: True),
        ("first poll items/s", e2e, ">= 12000", lambda v: v >= 12_000),
        ("changed cycle / parser alone", round(changed / parser_rate, 3), ">= 0.5", _half),
        ("first poll / naive bot", round(e2e / naive, 1), ">= 30", lambda v: v >= 30),
        ("changed cycle / naive bot", round(changed / naive, 1), ">= 30", lambda v: v >= 30),
        (
            f"matching items/s ({result['matching']['storylines']} storylines)",
            result["matching"]["items_per_s"],
            ">= 10000",
            lambda v: v >= 10_000,
        ),
        (
            "pipeline peak RSS MiB, with parse workers",
            round(main["peak_rss_mb"] + sum(main.get("parse_workers_peak_rss_mb", [])), 1),
            "<= 200",
            lambda v: v <= 200,
        ),
        (
            "pipeline decides as the matcher alone",
            main["same_decisions"]["same"],
            "== True",
            lambda v: v is True,
        ),
    ]
    return [
        {"target": name, "value": value, "goal": goal, "met": bool(check(value))}
        for name, value, goal, check in rows
    ]


def _half(v: float) -> bool:
    return v >= 0.5


def corpus_keys(corpus: Path) -> dict[str, Any]:
    """Item keys from both parsers on feedparser's test corpus (XML files:
    feedparser reads no JSON Feed). Switching parsers must change none."""
    fast, slow = FastFeedParser(), FeedparserParser()
    headers = {"content-location": "https://feeds.example/dir/feed.xml"}

    def keys(parser: FeedParser, body: bytes) -> list[str] | str:
        try:
            feed = parser.parse(body, headers)
        except ParseError as error:
            return f"ParseError({error.code})"
        return document_keys(feed.entries)  # as the poll cycle keys them

    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix != ".json")
    different = [
        str(p.relative_to(corpus))
        for p in files
        if keys(fast, body := p.read_bytes()) != keys(slow, body)
    ]
    return {
        "documents": len(files),
        "documents_with_different_keys": len(different),
        "different": different[:20],
        "fast_parser_reads": dict(fast.stats),
    }


def print_tables(result: dict[str, Any]) -> None:
    for kind, pipeline in result["pipelines"].items():
        print(
            "\n== pipeline cycles",
            f"({result['feeds']} feeds x {result['items']} items, "
            f"{result['database']}, parser {kind}, peak RSS {pipeline['peak_rss_mb']} MiB"
            + "".join(f" + worker {w} MiB" for w in pipeline.get("parse_workers_peak_rss_mb", []))
            + f", in its own process: {pipeline['rss_before_pipeline_mb']} MiB before it started"
            + ") ==",
        )
        header = (
            f"{'cycle':<17} {'seconds':>8} {'CPU s':>7} {'parses':>7} {'new':>7} {'items/s':>9}  "
            "(timed)  shares, from the run with each item's stages timed"
        )
        print(header)
        for c in pipeline["cycles"].values():
            shares = ", ".join(f"{k} {v:.0%}" for k, v in c["stage_share"].items() if v >= 0.005)
            print(
                f"{c['name']:<17} {c['seconds']:>8.2f} {c['process_cpu_seconds']:>7.2f} "
                f"{c['parser_calls']:>7} "
                f"{c['new_items']:>7} {c['items_per_s']:>9,}  "
                f"({c['items_per_s_with_stage_timers']:>6,})  {shares}"
            )
        first = pipeline["cycles"]["first_poll"]["store_seconds_by_method"]
        print(
            "first poll, store seconds by method:", ", ".join(f"{k} {v}" for k, v in first.items())
        )
        if "fast_parser_reads" in pipeline:
            print(f"documents read by: {pipeline['fast_parser_reads']}")
    if "corpus_keys" in result:
        k = result["corpus_keys"]
        print(
            f"\n== feedparser corpus: {k['documents']} XML documents, "
            f"{k['documents_with_different_keys']} with other item keys; "
            f"fast parser reads {k['fast_parser_reads']} =="
        )
    print("\n== parsers alone, same bytes (one thread) ==")
    floor = result["parsers"]["floor: lxml.etree.fromstring"]["items_per_s"]
    feedparser_rate = result["parsers"]["feedparser (FeedparserParser)"]["items_per_s"]
    for name, p in result["parsers"].items():
        print(
            f"{name:<32} {p['items_per_s']:>9,} items/s  {p['mb_per_s']:>7.2f} MB/s  "
            f"x{p['items_per_s'] / feedparser_rate:.2f} feedparser  "
            f"x{p['items_per_s'] / floor:.3f} floor"
        )
    n = result["naive_bot"]
    print(
        f"\n== naive bot: {n['feeds']} feeds, {n['items']} items, {n['items_per_s']:,} items/s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in n['stage_seconds'].items())}) =="
    )
    m = result["matching"]
    print(
        f"== matching, {m['storylines']} storylines ({m['phrases']} phrases): "
        f"{m['items_per_s']:,} items/s; naive rapidfuzz loop "
        f"{m['naive_rapidfuzz_loop_items_per_s']:,} items/s =="
    )
    print("\n== targets ==")
    for t in result["targets"]:
        print(f"{'MET ' if t['met'] else 'MISS'} {t['target']:<38} {t['value']!s:>10}  {t['goal']}")


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    baseline_rss = rss_mb()
    with (
        tempfile.TemporaryDirectory() as tmp,
        ServerProcess(
            feeds=args.feeds, per_feed=args.items, ports=args.ports, topical=args.topical
        ) as server,
    ):
        workdir = Path(tmp)
        (workdir / "no-feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
        admin = args.postgres_url or os.environ.get("THREADLINE_TEST_POSTGRES_URL")
        print(f"pipeline: {args.feeds} feeds x {args.items} items on {args.database}", flush=True)
        pipelines: dict[str, Any] = {}
        kinds = ["feedparser", "fast"] if args.parser == "both" else [args.parser]
        for kind in kinds:
            print(f"parser {kind}:", flush=True)
            (workdir / kind).mkdir()
            async with database(args.database, workdir / kind, admin) as db_url:
                pipelines[kind] = await run_pipeline_apart(
                    functools.partial(
                        run_pipeline, args, server.client(), db_url, workdir, kind, per_item=False
                    ),
                    kind,
                )
            print(f"parser {kind}, each item's stages timed:", flush=True)
            (workdir / f"{kind}-timed").mkdir()
            async with database(args.database, workdir / f"{kind}-timed", admin) as db_url:
                timed = await run_pipeline_apart(
                    functools.partial(
                        run_pipeline, args, server.client(), db_url, workdir, kind, per_item=True
                    ),
                    kind,
                )
            _take_shares(pipelines[kind], timed)
        pool = texts()
        sample = [
            feed_body(f, 0, per_feed=args.items, shift=args.items, pool=pool, topical=args.topical)
            for f in range(min(args.parse_sample, args.feeds))
        ]
        print("parsers alone …", flush=True)
        fast_available = _fast_available()
        parsers = parse_rates(sample, args.items, fast_available)
        print("matching …", flush=True)
        matching = matching_rate(args.storylines, args.match_rounds)
        print(f"naive bot on {args.naive_feeds} feeds …", flush=True)
        server.configure(generation=0, shift=args.items, validators=False)
        naive = await asyncio.to_thread(
            naive_rate, server, args.naive_feeds, args.storylines, workdir
        )
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "feeds": args.feeds,
        "items": args.items,
        "storylines": args.storylines,
        "topical": args.topical,
        "database": args.database,
        "parser": args.parser,
        "concurrency": args.concurrency,
        "parse_processes": args.parse_processes,
        "ports": args.ports,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "rss_at_start_mb": round(baseline_rss, 1),
        "pipelines": pipelines,
        "parsers": parsers,
        "fast_parser_available": fast_available,
        "matching": matching,
        "naive_bot": naive,
    }
    corpus = ROOT.parent / "shared/corpus/feeds/feedparser-tests"
    if not corpus.is_dir():
        corpus = ROOT.parent.parent / "shared/corpus/feeds/feedparser-tests"
    if args.parser == "both" and corpus.is_dir():
        print("item keys on the feedparser corpus …", flush=True)
        result["corpus_keys"] = corpus_keys(corpus)
    result["targets"] = targets(result)
    return result


def _fast_available() -> bool:
    try:
        import fastfeedparser  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="100 feeds, small baselines")
    ap.add_argument("--feeds", type=int)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--storylines", type=int, default=50)
    ap.add_argument(
        "--topical",
        type=float,
        default=0.05,
        help="share of items carrying corpus text (storyline news and near misses); "
        "the rest is everyday news. 1.0 is the worst case",
    )
    ap.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument(
        "--parser",
        choices=["both", "fast", "feedparser"],
        default="both",
        help="both (default): the pipeline with feedparser, then with the fast parser "
        "(the bot's), each on a fresh database, compared; or one of them only",
    )
    ap.add_argument("--postgres-url", help="admin URL (default: THREADLINE_TEST_POSTGRES_URL)")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument(
        "--parse-processes",
        type=int,
        help="read documents in this many worker processes (THREADLINE_PARSE_PROCESSES); "
        "0: in a thread; default: the bot's (one where two CPUs are usable)",
    )
    ap.add_argument("--ports", type=int, default=16, help="server ports (hosts, in effect)")
    ap.add_argument("--parse-sample", type=int, help="documents for the parsers-alone rates")
    ap.add_argument("--naive-feeds", type=int, help="feeds the naive bot reads")
    ap.add_argument("--match-rounds", type=int)
    ap.add_argument("--json-out", type=Path, default=ROOT / "bench/out/bench_pipeline.json")
    args = ap.parse_args()
    args.feeds = args.feeds or (100 if args.quick else 1000)
    args.parse_sample = args.parse_sample or (50 if args.quick else 200)
    args.naive_feeds = args.naive_feeds or (2 if args.quick else 6)
    args.match_rounds = args.match_rounds or (3 if args.quick else 20)
    # feedparser.parse(url) goes through urllib, which would honour a proxy.
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    result = asyncio.run(main_async(args))
    print_tables(result)
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\nwrote {args.json_out}")
    return 0 if all(t["met"] for t in result["targets"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
