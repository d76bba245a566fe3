"""The feed HTTP client: the ``Fetcher`` port over aiohttp.

Every hop of a redirect chain goes through the SSRF guard and the connection is
pinned to the addresses the guard checked. One deadline covers the whole fetch
(DNS, connect, redirects, a server dripping one byte a second). The body is
decoded here, not by aiohttp, so the size cap applies to *decoded* bytes and a
compression bomb is stopped after at most the cap plus one step of output.
"""

from __future__ import annotations

import asyncio
import hashlib
import zlib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from bot.errors import (
    MAX_RETRY_AFTER,
    ErrorCode,
    FetchError,
    FetchRetryLater,
    HttpStatusError,
    UnsafeURLError,
)
from bot.feeds.guard import HostResolver, PinnedResolver, check_url
from bot.ports import FetchRequest, FetchResult

DEFAULT_USER_AGENT = "Threadline/0.1 (+https://github.com/threadline; feed monitor)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
MAX_CONTENT_ENCODINGS = 2
# Each decompression step yields at most this much, so a bomb costs no more than
# the cap plus one step of memory before it is stopped.
DECODE_STEP = 64 * 1024
READ_CHUNK = 64 * 1024


class HttpFetcher:
    """Fetches feeds over HTTP(S) with conditional GET; implements ``Fetcher``.

    ``timeout`` is the total deadline of one ``fetch`` in seconds, ``max_bytes``
    the cap on the decoded body. ``allow_addresses`` admits single non-public
    addresses (see ``check_url``). ``resolve`` replaces the system DNS lookup
    (tests use it to play a DNS server whose answer changes). ``accept`` is
    the ``Accept`` header: the registered feed formats' (``FormatRegistry.accept``).
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout: float = 20.0,
        max_bytes: int = 5 * 1024 * 1024,
        max_redirects: int = 5,
        user_agent: str = DEFAULT_USER_AGENT,
        allow_addresses: Collection[str] = (),
        resolve: HostResolver | None = None,
        accept: str = "*/*",
    ) -> None:
        self.accept = accept
        self.allow_private = allow_private
        self.allow_addresses = frozenset(allow_addresses)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._resolve = resolve
        self._resolver = PinnedResolver()
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                resolver=self._resolver,
                # Every connection must ask the pinned resolver, never a cache.
                use_dns_cache=False,
                limit=64,
                limit_per_host=4,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """See ``bot.ports.Fetcher.fetch``. The returned ``headers`` omit
        Content-Encoding/Content-Length (the body is already decoded) and carry
        ``content-location`` = the final URL when the server sent none, so
        the parser can resolve relative links."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(request)
        except TimeoutError:
            raise FetchError(
                f"no complete answer within {self.timeout:g} s", code=ErrorCode.TIMEOUT
            ) from None
        except aiohttp.ClientConnectorError as error:
            raise FetchError(f"could not connect: {error}", code=ErrorCode.CONNECT) from None
        except (aiohttp.ClientError, OSError, ValueError) as error:
            # ValueError: aiohttp/yarl refusing something the server sent.
            raise FetchError(
                f"the connection failed: {error or type(error).__name__}", code=ErrorCode.CONNECT
            ) from None

    async def _fetch(self, request: FetchRequest) -> FetchResult:
        session = self._get_session()
        url = request.url
        hops = 0
        all_permanent = True
        while True:
            checked = await check_url(
                url,
                allow_private=self.allow_private,
                allow_addresses=self.allow_addresses,
                resolve=self._resolve,
            )
            self._resolver.pin(checked.host, checked.addresses)
            async with session.get(
                checked.url, headers=self._headers(request), allow_redirects=False
            ) as response:
                location = response.headers.get("Location")
                if response.status in REDIRECT_STATUSES and location is not None:
                    hops += 1
                    if hops > self.max_redirects:
                        raise FetchError(
                            f"more than {self.max_redirects} redirects",
                            code=ErrorCode.TOO_MANY_REDIRECTS,
                        )
                    all_permanent = all_permanent and response.status in PERMANENT_REDIRECTS
                    url = _redirect_target(checked.url, location)
                    continue
                permanent = str(checked.url) if hops and all_permanent else None
                return await self._answer(request, response, checked.url, permanent)

    def _headers(self, request: FetchRequest) -> dict[str, str]:
        headers = {
            "User-Agent": self.user_agent,
            "Accept": self.accept,
            "Accept-Encoding": "gzip, deflate",
        }
        # Validators go back exactly as the server sent them.
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        return headers

    async def _answer(
        self,
        request: FetchRequest,
        response: aiohttp.ClientResponse,
        url: URL,
        permanent: str | None,
    ) -> FetchResult:
        status = response.status
        result = FetchResult(
            status="ok",
            final_url=str(url),
            http_status=status,
            headers=_plain_headers(response.headers, url),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            permanent_redirect=permanent,
        )
        if status == 304:
            return replace(
                result,
                status="not_modified",
                etag=result.etag or request.etag,
                last_modified=result.last_modified or request.last_modified,
                body_hash=request.body_hash,
            )
        if status == 410:
            return replace(result, status="gone", etag=None, last_modified=None)
        if status in (429, 503):
            wait = parse_retry_after(response.headers.get("Retry-After"), response.headers)
            asked = f"; retry after {wait:g} s" if wait is not None else ""
            raise FetchRetryLater(
                f"HTTP {status} {response.reason or ''}".strip() + asked,
                code=ErrorCode.RATE_LIMITED if status == 429 else ErrorCode.UNAVAILABLE,
                retry_after=wait,
            )
        if not 200 <= status < 300:
            raise HttpStatusError(f"HTTP {status} {response.reason or ''}".strip(), status=status)

        body = await self._read_body(response)
        body_hash = hashlib.sha256(body).hexdigest()
        if request.body_hash is not None and body_hash == request.body_hash:
            return replace(result, status="unchanged", body_hash=body_hash)
        return replace(result, body=body, body_hash=body_hash)

    async def _read_body(self, response: aiohttp.ClientResponse) -> bytes:
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            response.close()
            raise FetchError(
                f"the body is {declared} bytes, over the {self.max_bytes}-byte limit",
                code=ErrorCode.TOO_LARGE,
            )
        decoder = BodyDecoder(response.headers.get("Content-Encoding", ""), self.max_bytes)
        received = 0
        try:
            async for chunk in response.content.iter_chunked(READ_CHUNK):
                received += len(chunk)
                # Encoded bytes are capped too: a stream of empty deflate blocks
                # would otherwise be read forever without producing output.
                if received > self.max_bytes:
                    raise _too_large(self.max_bytes)
                decoder.feed(chunk)
            return decoder.finish()
        except FetchError:
            response.close()
            raise


def _too_large(limit: int) -> FetchError:
    return FetchError(f"the body is over the {limit}-byte limit", code=ErrorCode.TOO_LARGE)


class BodyDecoder:
    """Incremental Content-Encoding decoder with a cap on decoded bytes.

    ``content_encoding`` is the header value ("gzip", "deflate", "gzip, gzip",
    "identity" or empty); codings are undone in reverse order. Raises
    ``FetchError`` with code ``too_large`` as soon as the output passes
    ``limit``, ``unsupported_encoding`` for a coding we do not speak and
    ``decode`` for a corrupt or truncated stream.
    """

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > MAX_CONTENT_ENCODINGS:
            raise FetchError(
                f"the body has {len(codings)} content encodings; at most "
                f"{MAX_CONTENT_ENCODINGS} are accepted",
                code=ErrorCode.UNSUPPORTED_ENCODING,
            )
        for coding in codings:
            if coding not in ("gzip", "x-gzip", "deflate"):
                raise FetchError(
                    f"content encoding {coding!r} is not supported",
                    code=ErrorCode.UNSUPPORTED_ENCODING,
                )
        self._stages = [_Inflater(c) for c in reversed(codings)]
        self._limit = limit
        self._out = bytearray()

    def feed(self, data: bytes) -> None:
        self._push(0, data)

    def finish(self) -> bytes:
        for stage in self._stages:
            if not stage.eof:
                raise FetchError(f"the {stage.coding} body is truncated", code=ErrorCode.DECODE)
        return bytes(self._out)

    def _push(self, index: int, data: bytes) -> None:
        if index == len(self._stages):
            self._out += data
            if len(self._out) > self._limit:
                raise _too_large(self._limit)
            return
        for piece in self._stages[index].pieces(data):
            self._push(index + 1, piece)


class _Inflater:
    """One gzip or deflate layer, decompressed in steps of bounded output."""

    def __init__(self, coding: str) -> None:
        self.coding = "gzip" if coding == "x-gzip" else coding
        self._zlib: zlib._Decompress | None = None
        self._head = b""
        if self.coding == "gzip":
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)

    @property
    def eof(self) -> bool:
        return self._zlib is not None and self._zlib.eof

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """Decompress ``data``, yielding at most ``DECODE_STEP`` bytes at a
        time, until the input is consumed and nothing is pending."""
        decoder = self._decoder(data)
        if decoder is None:
            return
        if self._head:
            data, self._head = self._head, b""
        while not decoder.eof:
            try:
                piece = decoder.decompress(data, DECODE_STEP)
            except zlib.error as error:
                raise FetchError(
                    f"the {self.coding} body is corrupt: {error}", code=ErrorCode.DECODE
                ) from None
            data = decoder.unconsumed_tail
            if piece:
                yield piece
            elif not data:
                return

    def _decoder(self, data: bytes) -> zlib._Decompress | None:
        if self._zlib is not None:
            return self._zlib
        # "deflate" is zlib-wrapped by the standard but raw deflate from many
        # servers; the first two bytes tell which.
        self._head += data
        if len(self._head) < 2:
            return None
        first, second = self._head[0], self._head[1]
        wrapped = first & 0x0F == 8 and (first * 256 + second) % 31 == 0
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return self._zlib


def _redirect_target(current: URL, location: str) -> str:
    try:
        return str(current.join(URL(location.strip())))
    except (ValueError, TypeError, UnicodeError):
        raise UnsafeURLError(f"the redirect to {location!r} is not a valid URL") from None


def _plain_headers(headers: CIMultiDictProxy[str], url: URL) -> Mapping[str, str]:
    plain: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in ("content-encoding", "content-length", "transfer-encoding"):
            continue
        plain[key] = f"{plain[key]}, {value}" if key in plain else value
    plain.setdefault("content-location", str(url))
    return plain


def parse_retry_after(value: str | None, headers: Mapping[str, str] | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date,
    the latter measured from the response's Date header when it has one),
    capped at six hours; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER.total_seconds())
    when = _http_date(value)
    if when is None:
        return None
    sent = _http_date((headers or {}).get("Date", "")) or datetime.now(UTC)
    return min(max((when - sent).total_seconds(), 0.0), MAX_RETRY_AFTER.total_seconds())


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
