"""A local feed server for tests: aiohttp.web on 127.0.0.1, an ephemeral port.

    async with serve_feeds() as server:
        server.set("/feed.xml", rss([{"guid": "1", "title": "Hello"}]))
        url = server.url("/feed.xml")

``set`` defines what a path serves (with an ETag derived from the body and a
Last-Modified, answering 304 to matching validators); ``handle`` installs any
aiohttp handler for the odd cases (slow drips, silent servers, bombs).
``hits`` and ``not_modified`` count requests and 304s per path; ``requests``
keeps each request's headers.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web

# The documents it serves in tests, importable from here as before.
from tests.support.feed_documents import atom, rss

__all__ = ["FeedServer", "Handler", "atom", "rss", "serve_feeds"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class _Route:
    body: bytes
    status: int
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None


@dataclass(slots=True)
class SeenRequest:
    path: str
    headers: dict[str, str] = field(default_factory=dict)


class FeedServer:
    """Serves feeds (or anything else) on 127.0.0.1 for tests."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.requests: list[SeenRequest] = []
        self._routes: dict[str, _Route] = {}
        self._handlers: dict[str, Handler] = {}
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # No access log: tests run with warnings as errors and quiet output.
        # Handlers are cancelled when the client hangs up, and shutdown does not
        # wait long for handlers that never finish (silent or dripping servers).
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str) -> str:
        if not path.startswith("/"):
            path = "/" + path
        return f"http://{self.host}:{self.port}{path}"

    def set(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        etag: bool = True,
        last_modified: bool = True,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """(Re)define what ``path`` serves. The ETag is derived from the body
        and Last-Modified is the time of this call, so re-setting the same body
        keeps the ETag and a new body changes it."""
        all_headers = {"Content-Type": content_type}
        all_headers.update(headers or {})
        self._handlers.pop(path, None)
        self._routes[path] = _Route(
            body=body,
            status=status,
            headers=all_headers,
            etag=f'"{hashlib.sha256(body).hexdigest()[:20]}"' if etag else None,
            last_modified=format_datetime(datetime.now(UTC), usegmt=True)
            if last_modified
            else None,
        )

    def redirect(self, path: str, to: str, *, status: int = 302) -> None:
        """Make ``path`` redirect to ``to`` (a path on this server or a URL)."""
        target = self.url(to) if to.startswith("/") else to
        self.set(path, b"", status=status, headers={"Location": target}, etag=False)

    def handle(self, path: str, handler: Handler) -> None:
        """Serve ``path`` with an arbitrary aiohttp handler."""
        self._routes.pop(path, None)
        self._handlers[path] = handler

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] += 1
        self.requests.append(SeenRequest(path, dict(request.headers)))
        handler = self._handlers.get(path)
        if handler is not None:
            return await handler(request)
        route = self._routes.get(path)
        if route is None:
            return web.Response(status=404, text="not found")
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.status == 200 and _not_modified(request, route):
            self.not_modified[path] += 1
            headers.pop("Content-Type", None)
            return web.Response(status=304, headers=headers)
        return web.Response(status=route.status, body=route.body, headers=headers)


def _not_modified(request: web.Request, route: _Route) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        return route.etag is not None and ("*" in tags or route.etag in tags)
    since = request.headers.get("If-Modified-Since")
    if since is None or route.last_modified is None:
        return False
    try:
        return parsedate_to_datetime(route.last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


@asynccontextmanager
async def serve_feeds() -> AsyncIterator[FeedServer]:
    """A started ``FeedServer``, closed on exit."""
    server = FeedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
