"""The HTTP fetcher against a local server: what a feed admin would notice."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web

from bot.errors import FetchError, FetchRetryLater, UnsafeURLError
from bot.feeds.fetch import HttpFetcher
from bot.ports import FetchRequest
from tests.support.feedserver import FeedServer, rss
from tests.support.hostile import gzip_bomb

FEED = rss([{"guid": "1", "title": "Hello", "link": "https://news.example/1"}])


async def test_a_feed_is_fetched_with_its_validators(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    feed_server.set("/feed.xml", FEED)
    result = await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
    assert result.status == "ok"
    assert result.http_status == 200
    assert result.body == FEED
    assert result.body_hash == hashlib.sha256(FEED).hexdigest()
    assert result.etag and result.etag.startswith('"')
    assert result.last_modified and result.last_modified.endswith("GMT")
    assert result.final_url == feed_server.url("/feed.xml")
    assert result.permanent_redirect is None
    assert result.headers is not None
    assert result.headers["content-type"] == "application/rss+xml; charset=utf-8"
    seen = feed_server.requests[-1].headers
    assert "Threadline" in seen["User-Agent"]
    assert "If-None-Match" not in seen


async def test_validators_are_sent_verbatim_and_304_is_not_modified(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    feed_server.set("/feed.xml", FEED)
    first = await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
    second = await fetcher.fetch(
        FetchRequest(
            feed_server.url("/feed.xml"),
            etag=first.etag,
            last_modified=first.last_modified,
            body_hash=first.body_hash,
        )
    )
    assert second.status == "not_modified"
    assert second.http_status == 304
    assert second.body == b""
    assert second.etag == first.etag
    assert feed_server.not_modified["/feed.xml"] == 1
    seen = feed_server.requests[-1].headers
    assert seen["If-None-Match"] == first.etag
    assert seen["If-Modified-Since"] == first.last_modified


async def test_last_modified_alone_gives_not_modified(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    feed_server.set("/feed.xml", FEED, etag=False)
    first = await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
    assert first.etag is None
    second = await fetcher.fetch(
        FetchRequest(feed_server.url("/feed.xml"), last_modified=first.last_modified)
    )
    assert second.status == "not_modified"
    assert second.last_modified == first.last_modified
    assert feed_server.not_modified["/feed.xml"] == 1


async def test_odd_validators_go_back_exactly_as_stored(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    feed_server.set("/feed.xml", FEED)
    odd_etag = 'W/"v1;  spaces, and=commas"'
    odd_date = "sometime last tuesday"
    await fetcher.fetch(
        FetchRequest(feed_server.url("/feed.xml"), etag=odd_etag, last_modified=odd_date)
    )
    seen = feed_server.requests[-1].headers
    assert seen["If-None-Match"] == odd_etag
    assert seen["If-Modified-Since"] == odd_date


async def test_an_unchanged_body_is_reported_without_a_body(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    feed_server.set("/feed.xml", FEED, etag=False, last_modified=False)
    digest = hashlib.sha256(FEED).hexdigest()
    result = await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml"), body_hash=digest))
    assert result.status == "unchanged"
    assert result.body == b""
    assert result.body_hash == digest
    changed = await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml"), body_hash="0" * 64))
    assert changed.status == "ok"


async def test_410_means_gone(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    feed_server.set("/old.xml", b"gone for good", status=410)
    result = await fetcher.fetch(FetchRequest(feed_server.url("/old.xml")))
    assert result.status == "gone"
    assert result.http_status == 410


@pytest.mark.parametrize("status", [301, 308])
async def test_permanent_redirect_chains_are_reported(
    feed_server: FeedServer, fetcher: HttpFetcher, status: int
) -> None:
    feed_server.redirect("/a", "/b", status=status)
    feed_server.redirect("/b", "/feed.xml", status=301)
    feed_server.set("/feed.xml", FEED)
    result = await fetcher.fetch(FetchRequest(feed_server.url("/a")))
    assert result.status == "ok"
    assert result.final_url == feed_server.url("/feed.xml")
    assert result.permanent_redirect == feed_server.url("/feed.xml")


@pytest.mark.parametrize("temporary", [302, 303, 307])
async def test_a_temporary_hop_means_no_permanent_redirect(
    feed_server: FeedServer, fetcher: HttpFetcher, temporary: int
) -> None:
    feed_server.redirect("/a", "/b", status=301)
    feed_server.redirect("/b", "/feed.xml", status=temporary)
    feed_server.set("/feed.xml", FEED)
    result = await fetcher.fetch(FetchRequest(feed_server.url("/a")))
    assert result.final_url == feed_server.url("/feed.xml")
    assert result.permanent_redirect is None


async def test_relative_redirects_are_followed(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    feed_server.set("/dir/a", b"", status=302, headers={"Location": "../feed.xml"})
    feed_server.set("/feed.xml", FEED)
    result = await fetcher.fetch(FetchRequest(feed_server.url("/dir/a")))
    assert result.body == FEED


async def test_a_redirect_loop_stops(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    feed_server.redirect("/a", "/b")
    feed_server.redirect("/b", "/a")
    with pytest.raises(FetchError, match="more than 5 redirects") as caught:
        await fetcher.fetch(FetchRequest(feed_server.url("/a")))
    assert caught.value.code == "too_many_redirects"
    assert feed_server.hits["/a"] + feed_server.hits["/b"] == 6


async def test_429_with_retry_after_seconds(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    feed_server.set("/feed.xml", b"slow down", status=429, headers={"Retry-After": "120"})
    with pytest.raises(FetchRetryLater) as caught:
        await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after == 120


async def test_503_with_retry_after_http_date(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    feed_server.set("/feed.xml", b"down", status=503, headers={"Retry-After": later})
    with pytest.raises(FetchRetryLater) as caught:
        await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
    assert caught.value.code == "http_503"
    wait = caught.value.retry_after
    assert wait is not None
    assert 590 <= wait <= 600


async def test_retry_after_is_capped_at_six_hours(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    feed_server.set("/feed.xml", b"", status=429, headers={"Retry-After": "99999999"})
    with pytest.raises(FetchRetryLater) as caught:
        await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
    assert caught.value.retry_after == 6 * 3600


async def test_unreadable_retry_after_is_ignored(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    feed_server.set("/feed.xml", b"", status=503, headers={"Retry-After": "soon-ish"})
    with pytest.raises(FetchRetryLater) as caught:
        await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [400, 403, 404, 500, 502])
async def test_http_errors_carry_their_status(
    feed_server: FeedServer, fetcher: HttpFetcher, status: int
) -> None:
    feed_server.set("/feed.xml", b"nope", status=status)
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
    assert caught.value.code == f"http_{status}"
    assert str(status) in caught.value.message


# --- size caps and content encodings ------------------------------------------------------


async def test_a_declared_oversize_body_is_refused_before_reading(
    feed_server: FeedServer,
) -> None:
    sent = asyncio.Event()

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(50 * 1024 * 1024)})
        await response.prepare(request)
        sent.set()
        await asyncio.Event().wait()  # the body never comes: reading it would time out
        return response

    feed_server.handle("/huge.xml", huge)
    client = HttpFetcher(allow_private=True, timeout=5, max_bytes=1024 * 1024)
    try:
        with pytest.raises(FetchError, match="52428800 bytes, over the 1048576-byte") as caught:
            await client.fetch(FetchRequest(feed_server.url("/huge.xml")))
    finally:
        await client.close()
    # Refused on the declared length: reading the body would have ended in "timeout".
    assert caught.value.code == "too_large"
    assert sent.is_set()


async def test_an_undeclared_oversize_body_is_cut_at_the_cap(feed_server: FeedServer) -> None:
    written = 0

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal written
        response = web.StreamResponse()
        await response.prepare(request)  # chunked, no Content-Length
        chunk = b"<item>" + b"x" * 65530
        while True:
            await response.write(chunk)
            written += len(chunk)

    feed_server.handle("/endless.xml", endless)
    client = HttpFetcher(allow_private=True, timeout=5, max_bytes=256 * 1024)
    try:
        with pytest.raises(FetchError, match="over the 262144-byte limit") as caught:
            await client.fetch(FetchRequest(feed_server.url("/endless.xml")))
    finally:
        await client.close()
    assert caught.value.code == "too_large"
    assert written < 16 * 1024 * 1024  # the server was not read to exhaustion


def test_the_bomb_builder_makes_valid_gzip() -> None:
    assert gzip.decompress(gzip_bomb(3)) == bytes(3 << 20)


async def test_a_gzip_bomb_is_stopped_at_the_decoded_cap_with_bounded_memory(
    feed_server: FeedServer,
) -> None:
    bomb = gzip_bomb(1024)  # 1 GiB of zeros in about 1 MB
    assert len(bomb) < 2 * 1024 * 1024
    feed_server.set("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    client = HttpFetcher(allow_private=True, timeout=10, max_bytes=4 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="over the 4194304-byte limit") as caught:
            await client.fetch(FetchRequest(feed_server.url("/bomb.xml")))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await client.close()
    assert caught.value.code == "too_large"
    # The cap (4 MiB) plus the compressed body held by the test server and
    # read buffers; nowhere near the 1 GiB the bomb expands to.
    print(f"gzip bomb: peak traced memory {peak / 2**20:.1f} MiB")
    assert peak < 24 * 1024 * 1024, peak


async def test_gzip_deflate_and_chains_are_decoded(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    variants = {
        "gzip": gzip.compress(FEED),
        "x-gzip": gzip.compress(FEED),
        "deflate": zlib.compress(FEED),
        "DEFLATE ": raw_deflate.compress(FEED) + raw_deflate.flush(),
        "deflate, gzip": gzip.compress(zlib.compress(FEED)),
        "identity": FEED,
    }
    for coding, body in variants.items():
        feed_server.set("/feed.xml", body, headers={"Content-Encoding": coding})
        result = await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
        assert result.body == FEED, coding
        assert result.headers is not None
        assert "content-encoding" not in result.headers


async def test_more_than_two_encodings_or_unknown_ones_are_refused(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    triple = gzip.compress(gzip.compress(gzip.compress(FEED)))
    feed_server.set("/feed.xml", triple, headers={"Content-Encoding": "gzip, gzip, gzip"})
    with pytest.raises(FetchError, match="3 content encodings") as caught:
        await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
    assert caught.value.code == "unsupported_encoding"
    feed_server.set("/feed.xml", b"\x00\x01", headers={"Content-Encoding": "br"})
    with pytest.raises(FetchError, match="'br' is not supported"):
        await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))


async def test_corrupt_and_truncated_gzip_are_decode_errors(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    feed_server.set("/feed.xml", b"definitely not gzip", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="gzip body is corrupt") as caught:
        await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))
    assert caught.value.code == "decode"
    feed_server.set("/feed.xml", gzip.compress(FEED)[:-12], headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="truncated"):
        await fetcher.fetch(FetchRequest(feed_server.url("/feed.xml")))


# --- deadlines and broken servers ---------------------------------------------------------


@asynccontextmanager
async def raw_server(reply: bytes | None) -> AsyncIterator[int]:
    """A TCP server on 127.0.0.1 that sends ``reply`` (or nothing) and then
    holds the connection open until the test ends."""
    writers: list[asyncio.StreamWriter] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        if reply is not None:
            writer.write(reply)
            await writer.drain()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_silent_server_ends_at_the_deadline() -> None:
    client = HttpFetcher(allow_private=True, timeout=1.0)
    async with raw_server(None) as port:
        with pytest.raises(FetchError, match="within 1 s") as caught:
            await client.fetch(FetchRequest(f"http://127.0.0.1:{port}/feed.xml"))
    await client.close()
    assert caught.value.code == "timeout"


async def test_a_one_byte_per_second_drip_ends_at_the_deadline(feed_server: FeedServer) -> None:
    dripped = 0

    async def drip(request: web.Request) -> web.StreamResponse:
        nonlocal dripped
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        while True:
            await response.write(b"<")
            dripped += 1
            await asyncio.sleep(1.0)  # the server's pace, not test synchronisation

    feed_server.handle("/drip.xml", drip)
    client = HttpFetcher(allow_private=True, timeout=1.0)
    try:
        with pytest.raises(FetchError) as caught:
            await client.fetch(FetchRequest(feed_server.url("/drip.xml")))
    finally:
        await client.close()
    assert caught.value.code == "timeout"
    # It was receiving data and still stopped at the 1 s deadline: counted in bytes the
    # server sent at one a second (a per-read timeout would have let it drip on).
    assert 1 <= dripped <= 3


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with raw_server(None) as port:
        pass  # the port is closed again now
    client = HttpFetcher(allow_private=True, timeout=2.0)
    try:
        with pytest.raises(FetchError) as caught:
            await client.fetch(FetchRequest(f"http://127.0.0.1:{port}/feed.xml"))
    finally:
        await client.close()
    assert caught.value.code == "connect"
    assert type(caught.value) is FetchError


@pytest.mark.parametrize(
    "reply",
    [
        b"this is not http at all\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbad chunk\r\n",
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 100_000 + b"\r\n\r\n",
    ],
    ids=["not-http", "short-body", "bad-chunking", "huge-header"],
)
async def test_broken_servers_give_fetch_errors_only(reply: bytes) -> None:
    client = HttpFetcher(allow_private=True, timeout=1.0)
    try:
        async with raw_server(reply) as port:
            with pytest.raises(FetchError) as caught:
                await client.fetch(FetchRequest(f"http://127.0.0.1:{port}/feed.xml"))
    finally:
        await client.close()
    assert caught.value.code in ("connect", "timeout")


async def test_a_garbage_redirect_location_is_refused(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    feed_server.set("/a", b"", status=302, headers={"Location": "http://[not-an-ip/x"})
    with pytest.raises(UnsafeURLError):
        await fetcher.fetch(FetchRequest(feed_server.url("/a")))


# --- DNS pinning ------------------------------------------------------------------------------


@asynccontextmanager
async def servers_on(*hosts: str) -> AsyncIterator[list[FeedServer]]:
    """One feed server per loopback address, all on the same port."""
    first = FeedServer(host=hosts[0])
    await first.start()
    servers = [first]
    try:
        for host in hosts[1:]:
            server = FeedServer(host=host, port=first.port)
            await server.start()
            servers.append(server)
        yield servers
    finally:
        for server in servers:
            await server.close()


async def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    # A rebinding DNS: the first answer (checked) is 127.0.0.1, any later
    # answer is 127.0.0.2. Both servers listen on the same port; only the
    # checked one may be reached, and DNS is asked once per fetch.
    lookups: list[str] = []

    async def rebinding(host: str, port: int) -> Sequence[str]:
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) % 2 == 1 else ["127.0.0.2"]

    async with servers_on("127.0.0.1", "127.0.0.2") as (checked, other):
        checked.set("/feed.xml", FEED)
        other.set("/feed.xml", b"<rss>the wrong server</rss>")
        client = HttpFetcher(allow_private=True, timeout=2, resolve=rebinding)
        try:
            result = await client.fetch(
                FetchRequest(f"http://feeds.example:{checked.port}/feed.xml")
            )
        finally:
            await client.close()
    assert result.body == FEED
    assert lookups == ["feeds.example"]
    assert checked.hits["/feed.xml"] == 1
    assert other.hits["/feed.xml"] == 0


async def test_a_rebinding_to_a_private_address_never_connects() -> None:
    # The guard refuses the host because one answer is private; the server
    # behind that private answer is never contacted.
    async def mixed(host: str, port: int) -> Sequence[str]:
        return ["93.184.216.34", "127.0.0.1"]

    async with servers_on("127.0.0.1") as (local,):
        local.set("/feed.xml", FEED)
        client = HttpFetcher(timeout=2, resolve=mixed)
        try:
            with pytest.raises(UnsafeURLError, match=r"resolves to 127.0.0.1, a loopback"):
                await client.fetch(FetchRequest(f"http://feeds.example:{local.port}/feed.xml"))
        finally:
            await client.close()
        assert local.hits["/feed.xml"] == 0
