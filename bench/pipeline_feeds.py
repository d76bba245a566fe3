"""Synthetic feeds for ``bench_pipeline.py``, and the loopback server that serves them.

Feed ``f`` of generation ``g`` is an RSS 2.0 document of ``per_feed`` items: the
window ``[g * shift, g * shift + per_feed)`` of that feed's endless item
sequence, newest first. Titles and summaries come from the labelled corpus
(``../shared/corpus/dev.jsonl``) when it is there, so a realistic share of items
matches a storyline, else from a small built-in sample. The same (feed,
generation) always gives the same bytes, so the benchmark can parse exactly
what the server sends without fetching it.

The server runs in its own process (``ServerProcess``) so serving does not
compete with the pipeline for the benchmark's event loop or its GIL, and it
listens on several ports: a client keeps at most a few connections per host,
and 1,000 real feeds sit on hundreds of hosts, not one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.feed_documents import rss  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
BASE_DATE = datetime(2026, 5, 1, tzinfo=UTC)
ITEM_SPACING = timedelta(minutes=37)
HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}

_SAMPLE = [
    ("Judge blocks Pentagon's Anthropic blacklist", "Judge Rita Lin granted an injunction."),
    ("Fable 5 suspended after export directive", "Anthropic disabled Fable 5 and Mythos 5."),
    ("Fable gameplay deep dive", "The reboot is set in Albion a century later."),
    ("World Cup final wraps a record tournament", "Fans filled the stadium."),
]


def texts(corpus: Path = CORPUS) -> list[tuple[str, str]]:
    """(title, summary) pairs to fill items with."""
    if not corpus.exists():
        return list(_SAMPLE)
    out = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            out.append((item["title"], item.get("summary") or ""))
    return out or list(_SAMPLE)


_SUBJECTS = (
    "City council",
    "Regional bank",
    "Football club",
    "School board",
    "Hospital",
    "Weather service",
    "Transit agency",
    "Museum",
    "Port authority",
    "Startup",
)
_VERBS = ("approves", "delays", "announces", "reviews", "expands", "cuts", "opens", "debates")
_OBJECTS = (
    "budget plan",
    "new stadium",
    "bus routes",
    "flood defences",
    "summer festival",
    "hiring freeze",
    "library wing",
    "bond issue",
    "clinic hours",
    "bike lanes",
)
_PLACES = ("Springfield", "Riverton", "Lakeside", "Hillcrest", "Oakdale", "Brookfield")


def _generic(feed: int, n: int) -> tuple[str, str]:
    """Everyday local news: the bulk of a general feed, matching no storyline."""
    h = feed * 31 + n * 17
    title = (
        f"{_SUBJECTS[h % 10]} {_VERBS[(h // 10) % 8]} {_OBJECTS[(h // 80) % 10]} "
        f"in {_PLACES[(h // 800) % 6]} ({feed}-{n})"
    )
    summary = (
        f"Officials in {_PLACES[(h // 7) % 6]} said the {_OBJECTS[(h // 3) % 10]} would be "
        f"discussed again next month after residents raised concerns at a meeting on item {n}."
    )
    return title, summary


def feed_body(
    feed: int,
    generation: int,
    *,
    per_feed: int,
    shift: int,
    pool: Sequence[tuple[str, str]],
    topical: float = 1.0,
) -> bytes:
    """The RSS document of ``feed`` at ``generation`` (deterministic). A share
    ``topical`` of the items carries corpus text (about the storylines, or near
    misses); the rest is everyday news."""
    start = generation * shift
    items = []
    for n in reversed(range(start, start + per_feed)):
        pick = feed * 7919 + n * 104_729
        if (pick % 1000) < topical * 1000:
            title, summary = pool[pick % len(pool)]
        else:
            title, summary = _generic(feed, n)
        items.append(
            {
                "guid": f"urn:bench:{feed}:{n}",
                "link": f"https://outlet{feed % 97}.example/{feed}/story-{n}?utm_source=rss",
                "title": title,
                # Typical feed markup around the lede: a paragraph, a link, an image.
                "summary": (
                    f"<p>{summary}</p><p><a href='https://outlet{feed % 97}.example/{feed}/"
                    f"story-{n}'>Read the full story</a> at Outlet {feed % 97}.</p>"
                    f"<img src='https://cdn.example/{feed}/{n}.jpg' alt=''/>"
                ),
                "published": BASE_DATE + ITEM_SPACING * n,
            }
        )
    return rss(items, title=f"Outlet {feed}", link=f"https://outlet{feed % 97}.example/")


# --- the server (runs in a child process) ------------------------------------------------


class _State:
    def __init__(
        self, feeds: int, per_feed: int, pool: list[tuple[str, str]], topical: float
    ) -> None:
        self.feeds = feeds
        self.topical = topical
        self.per_feed = per_feed
        self.pool = pool
        self.generation = 0
        self.shift = per_feed
        self.validators = True
        self.bodies: dict[int, tuple[bytes, str]] = {}
        self.hits = 0
        self.not_modified = 0

    def configure(self, generation: int, shift: int, validators: bool) -> None:
        if (generation, shift) != (self.generation, self.shift) or not self.bodies:
            self.generation, self.shift = generation, shift
            # Built before the cycle, so serving costs the server a dict look-up.
            self.bodies = {}
            for f in range(self.feeds):
                body = feed_body(
                    f,
                    generation,
                    per_feed=self.per_feed,
                    shift=shift,
                    pool=self.pool,
                    topical=self.topical,
                )
                self.bodies[f] = (body, f'"{hashlib.sha256(body).hexdigest()[:16]}"')
        self.validators = validators
        self.hits = self.not_modified = 0


async def _serve(
    ports: int, feeds: int, per_feed: int, topical: float, ready: Any, stop: Any
) -> None:
    from aiohttp import web

    state = _State(feeds, per_feed, texts(), topical)
    state.configure(0, per_feed, True)

    async def feed(request: web.Request) -> web.StreamResponse:
        state.hits += 1
        body, etag = state.bodies[int(request.match_info["n"])]
        if not state.validators:
            return web.Response(body=body, headers=HEADERS)
        if request.headers.get("If-None-Match") == etag:
            state.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={**HEADERS, "ETag": etag})

    async def control(request: web.Request) -> web.StreamResponse:
        q = request.query
        state.configure(
            int(q.get("generation", state.generation)),
            int(q.get("shift", state.shift)),
            q.get("validators", "1") == "1",
        )
        return web.json_response({"ok": True})

    async def stats(_: web.Request) -> web.StreamResponse:
        return web.json_response({"hits": state.hits, "not_modified": state.not_modified})

    app = web.Application()
    app.router.add_get("/feed/{n}", feed)
    app.router.add_get("/_control", control)
    app.router.add_get("/_stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    bound = []
    for _ in range(ports):
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        bound.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    ready.send(bound)
    await asyncio.get_running_loop().run_in_executor(None, stop.wait)
    await runner.cleanup()


def _child(ports: int, feeds: int, per_feed: int, topical: float, ready: Any, stop: Any) -> None:
    asyncio.run(_serve(ports, feeds, per_feed, topical, ready, stop))


class ChildServers:
    """Loopback servers run by ``target(*args, ready, stop)`` in a child process
    (the benchmark's own event loop stays free): ``ports`` are the ports it
    sends through ``ready`` once listening; it stops when ``stop`` is set."""

    def __init__(self, target: Any, *args: Any) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._ready, child_end = ctx.Pipe()
        self._stop = ctx.Event()
        self._proc = ctx.Process(target=target, args=(*args, child_end, self._stop), daemon=True)
        self.ports: list[int] = []

    def __enter__(self) -> Any:
        self._proc.start()
        if not self._ready.poll(120):
            raise RuntimeError("the feed servers did not start")
        self.ports = self._ready.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()


class ServerClient:
    """What a benchmark asks of the synthetic feed server: feed addresses, what
    to serve, what was served. Picklable: a pipeline measured in a process of
    its own takes it there."""

    ports: list[int]

    def url(self, feed: int) -> str:
        return f"http://127.0.0.1:{self.ports[feed % len(self.ports)]}/feed/{feed}"

    def _get(self, path: str) -> dict[str, Any]:
        with urlopen(f"http://127.0.0.1:{self.ports[0]}{path}", timeout=300) as response:
            data: dict[str, Any] = json.loads(response.read())
            return data

    def configure(self, *, generation: int, shift: int, validators: bool) -> None:
        """Serve ``generation`` (items shifted by ``shift`` per generation), with
        ETags and 304s when ``validators``; resets the counters."""
        self._get(f"/_control?generation={generation}&shift={shift}&validators={int(validators)}")

    def stats(self) -> dict[str, int]:
        """Requests served and 304s answered since the last ``configure``."""
        return {k: int(v) for k, v in self._get("/_stats").items()}

    def client(self) -> ServerClient:
        """A client of this server alone (no process handle), to pickle."""
        plain = ServerClient()
        plain.ports = list(self.ports)
        return plain


class ServerProcess(ChildServers, ServerClient):
    """The synthetic feed server in a child process, on ``ports`` loopback ports."""

    def __init__(self, *, feeds: int, per_feed: int, ports: int = 16, topical: float = 1.0) -> None:
        super().__init__(_child, ports, feeds, per_feed, topical)
        self.feeds = feeds
