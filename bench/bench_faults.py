"""Healthy feeds among hostile ones: does a slow feed cost only its own slot?

    .venv/bin/python bench/bench_faults.py [--feeds 1000] [--hostile 300]
        [--timeout 10] [--budget 300] [--mode both|turns|pipeline]
        [--json-out bench/out/bench_faults.json]

All on 127.0.0.1. A child process serves ``--feeds`` feeds: the healthy ones (a
small RSS each) from one port, each hostile one from its own port (its own host,
so the fetcher's per-host limit applies to it alone), in four kinds taking turns:
``drip`` (200, then a byte a second, forever), ``silent`` (never answers),
``bomb`` (a gzip bomb) and ``oversize`` (a body over THREADLINE_MAX_FEED_BYTES).
Hostile feeds are spread evenly among the healthy ones.

The real app (``bot.app.build``, SQLite, the repository's storylines, the
default ``THREADLINE_FETCH_CONCURRENCY`` unless set) polls every feed once, from
a fresh database, in two ways:

* ``turns``: the poll loop before the pipeline — ``Poller.run_due(limit=50)``
  turn after turn, each waiting for its slowest fetch;
* ``pipeline``: ``threadline run``'s loop — ``PollLoop`` over a ``FetchPipeline``
  with a fixed number of fetches in flight.

It reports, for each, when every healthy feed had been polled (or how many had
by ``--budget`` seconds), the healthy feeds polled at 10/30/60/120 s, when every
feed had been tried, and the transactions (recorded chunks). ``--timeout`` is
the fetch deadline (THREADLINE_FETCH_TIMEOUT; the default 20 s doubles the
run). A script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from pipeline_feeds import ChildServers  # noqa: E402

from bot.app import Threadline, build  # noqa: E402
from bot.config.settings import load_settings  # noqa: E402
from bot.entry.schedule import CLAIM_AT_MOST, PollLoop, SchedulerAlarm  # noqa: E402
from bot.platforms.console import ConsolePlatform  # noqa: E402
from bot.service.poll_cycle import CycleReport  # noqa: E402
from bot.service.poll_pipeline import FetchPipeline  # noqa: E402

KINDS = ("drip", "silent", "bomb", "oversize")
MARKS = (10, 30, 60, 120)


# --- the servers (child process) ---------------------------------------------------------------


def _serve(hostile: int, max_bytes: int, ready: Connection, stop: EventType) -> None:
    from aiohttp import web

    sys.path.insert(0, str(ROOT))
    from tests.support.hostile import drip, gzip_bomb, silent

    healthy_body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title>'
        b"<item><guid>1</guid><title>Local council meets</title>"
        b"<link>https://local.example/1</link></item></channel></rss>"
    )
    bomb = gzip_bomb(1024)
    oversize = b'<?xml version="1.0"?><rss version="2.0"><channel>' + b" " * (max_bytes + 1)

    async def healthy(request: web.Request) -> web.StreamResponse:
        return web.Response(body=healthy_body, content_type="application/rss+xml")

    async def bombed(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=bomb, headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
        )

    async def too_big(request: web.Request) -> web.StreamResponse:
        return web.Response(body=oversize, content_type="application/rss+xml")

    handlers = {"drip": drip, "silent": silent, "bomb": bombed, "oversize": too_big}

    async def main() -> None:
        runners = []
        ports = []
        for kind in ("healthy", *[KINDS[i % len(KINDS)] for i in range(hostile)]):
            app = web.Application()
            app.router.add_get("/{tail:.*}", healthy if kind == "healthy" else handlers[kind])
            runner = web.AppRunner(
                app, access_log=None, handler_cancellation=True, shutdown_timeout=0.1
            )
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            runners.append(runner)
            ports.append(runner.addresses[0][1])
        ready.send(ports)
        await asyncio.to_thread(stop.wait)
        for runner in runners:
            await runner.cleanup()

    asyncio.run(main())


class Servers(ChildServers):
    """The healthy and hostile feed servers in a child process."""

    def __init__(self, hostile: int, max_bytes: int) -> None:
        super().__init__(_serve, hostile, max_bytes)


def layout(feeds: int, hostile: int, ports: list[int]) -> list[tuple[str, str]]:
    """(url, name) of every feed: hostile ones spread evenly, each on its own port."""
    step = feeds / hostile if hostile else feeds + 1
    hostile_at = {int(i * step) for i in range(hostile)}
    out, h = [], 0
    for i in range(feeds):
        if i in hostile_at:
            kind = KINDS[h % len(KINDS)]
            out.append((f"http://127.0.0.1:{ports[1 + h]}/{kind}/{i}.xml", f"hostile-{kind}-{i}"))
            h += 1
        else:
            out.append((f"http://127.0.0.1:{ports[0]}/feed/{i}.xml", f"healthy-{i}"))
    return out


# --- the bot ---------------------------------------------------------------------------------


class Progress:
    """When each recorded chunk came, and how many healthy feeds it polled."""

    def __init__(self, healthy_urls: set[str], total: int) -> None:
        self.healthy_urls = healthy_urls
        self.total = total
        self.started = time.monotonic()
        self.healthy = 0
        self.tried = 0
        self.chunks = 0
        self.healthy_at: dict[int, float] = {}  # count reached → seconds
        self.all_healthy: float | None = None
        self.all_tried: float | None = None
        self.done = asyncio.Event()

    def add(self, report: CycleReport, healthy_failed: int) -> None:
        now = time.monotonic() - self.started
        failed_here = len(report.errors)
        self.chunks += 1
        self.tried += report.feeds
        self.healthy += report.feeds - failed_here + healthy_failed
        self.healthy_at[self.healthy] = now
        if self.all_healthy is None and self.healthy >= len(self.healthy_urls):
            self.all_healthy = now
        if self.all_tried is None and self.tried >= self.total:
            self.all_tried = now
            self.done.set()

    def healthy_by(self, seconds: float) -> int:
        return max((n for n, at in self.healthy_at.items() if at <= seconds), default=0)


def healthy_failures(report: CycleReport, healthy_urls: set[str]) -> int:
    """Healthy feeds that failed (counted back in: they were polled)."""
    return sum(url in healthy_urls for url in report.errors)


async def app_for(feeds_file: Path, db: Path, fetch_timeout: float) -> Threadline:
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{db}",
        feeds_file=feeds_file,
        storylines_dir=ROOT / "storylines",
        allow_private_feeds=True,
        fetch_timeout=fetch_timeout,
    )
    app = await build(settings, platforms={"console": ConsolePlatform(io.StringIO())})
    await app.start()
    return app


async def run_turns(app: Threadline, progress: Progress, budget: float) -> None:
    """The loop before the pipeline: turns of ``CLAIM_AT_MOST``, each whole."""
    while not progress.done.is_set() and time.monotonic() - progress.started < budget:
        report = await app.poller.run_due(limit=CLAIM_AT_MOST)
        if not report.feeds:
            break
        progress.add(report, healthy_failures(report, progress.healthy_urls))


async def run_pipeline(app: Threadline, progress: Progress, budget: float) -> None:
    async def recorded(report: CycleReport) -> None:
        progress.add(report, healthy_failures(report, progress.healthy_urls))

    async def nothing(report: CycleReport) -> None:
        pass

    pipeline = FetchPipeline(
        app.poller,
        concurrency=app.settings.fetch_concurrency,
        batch=app.poller.batch,
        on_recorded=recorded,
    )
    alarm = SchedulerAlarm()
    loop = PollLoop(
        poller=pipeline, schedule=app.store, clock=app.clock, alarm=alarm, after_turn=nothing
    )
    pipeline.listen(loop.wake)
    alarm.start()
    task = asyncio.create_task(loop.run())
    try:
        left = budget - (time.monotonic() - progress.started)
        await asyncio.wait_for(progress.done.wait(), max(left, 0))
    except TimeoutError:
        pass
    finally:
        loop.stop()
        await pipeline.close()
        await asyncio.gather(task, return_exceptions=True)
        alarm.shutdown()


async def measure(
    mode: str, feeds: list[tuple[str, str]], fetch_timeout: float, budget: float
) -> dict[str, Any]:
    import yaml

    healthy_urls = {url for url, name in feeds if name.startswith("healthy")}
    with tempfile.TemporaryDirectory() as tmp:
        feeds_file = Path(tmp) / "feeds.yaml"
        feeds_file.write_text(
            yaml.safe_dump({"feeds": [{"url": u, "name": n} for u, n in feeds]}), encoding="utf-8"
        )
        app = await app_for(feeds_file, Path(tmp) / "db.sqlite", fetch_timeout)
        try:
            progress = Progress(healthy_urls, len(feeds))
            runner: Callable[..., Any] = run_turns if mode == "turns" else run_pipeline
            await runner(app, progress, budget)
        finally:
            await app.close()
    return {
        "mode": mode,
        "healthy": len(healthy_urls),
        "all_healthy_polled_s": _r(progress.all_healthy),
        "healthy_polled_by": {f"{s}s": progress.healthy_by(s) for s in MARKS},
        "healthy_polled_at_end": progress.healthy,
        "all_feeds_tried_s": _r(progress.all_tried),
        "feeds_tried": progress.tried,
        "transactions": progress.chunks,
    }


def _r(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hostile", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=10.0, help="fetch deadline, seconds")
    parser.add_argument("--budget", type=float, default=300.0, help="stop each mode after this")
    parser.add_argument("--mode", choices=("both", "turns", "pipeline"), default="both")
    parser.add_argument("--json-out", type=Path, default=ROOT / "bench/out/bench_faults.json")
    args = parser.parse_args()
    if not 0 <= args.hostile < args.feeds:
        parser.error("--hostile must be at least 0 and less than --feeds")
    max_bytes = int(os.environ.get("THREADLINE_MAX_FEED_BYTES", 5 * 1024 * 1024))
    modes = ("turns", "pipeline") if args.mode == "both" else (args.mode,)
    results = []
    with Servers(args.hostile, max_bytes) as servers:
        feeds = layout(args.feeds, args.hostile, servers.ports)
        for mode in modes:
            result = asyncio.run(measure(mode, feeds, args.timeout, args.budget))
            results.append(result)
            print(json.dumps(result))
    out = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "feeds": args.feeds,
        "hostile": args.hostile,
        "fetch_timeout": args.timeout,
        "budget": args.budget,
        "results": results,
    }
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"\n{args.feeds} feeds, {args.hostile} hostile, fetch deadline {args.timeout:g} s")
    print(f"{'mode':10} {'all healthy':>12} " + " ".join(f"{f'by {s}s':>8}" for s in MARKS))
    for r in results:
        done = f"{r['all_healthy_polled_s']} s" if r["all_healthy_polled_s"] else "not yet"
        marks = " ".join(f"{r['healthy_polled_by'][f'{s}s']:>8}" for s in MARKS)
        print(f"{r['mode']:10} {done:>12} {marks}   (of {r['healthy']} healthy)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
