"""The SSRF guard refuses every non-public address, however it is spelled."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pytest

from bot.core.urls import feed_url
from bot.errors import FetchError, UnsafeURLError
from bot.feeds.fetch import HttpFetcher
from bot.feeds.guard import PinnedResolver, check_url
from bot.ports import FetchRequest
from tests.support.feedserver import FeedServer


def dns(answers: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    """A fake DNS server: ``host -> addresses``."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        if host not in answers:
            raise OSError(f"NXDOMAIN {host}")
        return answers[host]

    return resolve


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/feed", "127.0.0.1 is a loopback address"),
        ("http://localhost/feed", "localhost resolves to 127.0.0.1, a loopback address"),
        ("http://127.1/feed", "127.1 is an unusual spelling of 127.0.0.1, a loopback address"),
        ("http://2130706433/", "unusual spelling of 127.0.0.1, a loopback address"),
        ("http://0x7f.0.0.1/", "unusual spelling of 127.0.0.1, a loopback address"),
        ("http://0177.0.0.1/", "unusual spelling of 127.0.0.1, a loopback address"),
        ("http://0/", "unusual spelling of 0.0.0.0, an unspecified address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "IPv6 form of 127.0.0.1, a loopback address"),
        ("http://[::ffff:10.1.2.3]/", "IPv6 form of 10.1.2.3, a private address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[fc00::1]/", "a private address"),
        ("http://[fd12:3456::1]/", "a private address"),
        ("http://169.254.169.254/latest/meta-data/", "the cloud metadata address"),
        ("http://169.254.1.1/", "a link-local address"),
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://172.16.5.4/", "a private address"),
        ("http://192.168.1.1/", "a private address"),
        ("http://100.64.0.1/", "100.64.0.1 is a shared (CGNAT) address"),
        ("http://224.0.0.251/", "a multicast address"),
        ("http://240.0.0.1/", "a reserved address"),
        ("http://[64:ff9b::a00:1]/", "IPv6 form of 10.0.0.1"),
    ],
)
async def test_non_public_addresses_are_refused_by_default(url: str, why: str) -> None:
    with pytest.raises(UnsafeURLError, match=why.replace("(", r"\(").replace(")", r"\)")):
        await check_url(url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/feed", "scheme ftp is not allowed"),
        ("file:///etc/passwd", "scheme file is not allowed"),
        ("gopher://example.com/", "scheme gopher is not allowed"),
        ("javascript:alert(1)", "scheme javascript is not allowed"),
        ("http://user@example.com/feed", r"user name or password \(user@host\)"),
        ("http://user:secret@example.com/feed", "user name or password"),
        ("example.com/feed", "not an absolute URL"),
        ("http:///feed", "has no host"),
    ],
)
async def test_bad_urls_are_refused_before_any_lookup(url: str, why: str) -> None:
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> Sequence[str]:
        lookups.append(host)
        return ["93.184.216.34"]

    with pytest.raises(UnsafeURLError, match=why):
        await check_url(url, resolve=resolve)
    assert lookups == []


async def test_a_host_is_refused_when_any_answer_is_private() -> None:
    resolve = dns({"feeds.example": ["93.184.216.34", "2606:2800::1", "10.0.0.7"]})
    with pytest.raises(UnsafeURLError, match=r"feeds.example resolves to 10.0.0.7, a private"):
        await check_url("https://feeds.example/rss", resolve=resolve)


async def test_an_aaaa_answer_is_checked_too() -> None:
    resolve = dns({"feeds.example": ["93.184.216.34", "::1"]})
    with pytest.raises(UnsafeURLError, match="resolves to ::1, a loopback address"):
        await check_url("https://feeds.example/rss", resolve=resolve)


async def test_public_answers_pass_and_are_returned_for_pinning() -> None:
    resolve = dns({"feeds.example": ["93.184.216.34", "2606:2800:220:1::1"]})
    checked = await check_url("https://Feeds.Example:8443/rss", resolve=resolve)
    assert checked.host == "feeds.example"
    assert checked.port == 8443
    assert checked.addresses == ("93.184.216.34", "2606:2800:220:1::1")


async def test_allow_private_lets_local_addresses_through() -> None:
    checked = await check_url("http://127.0.0.1:8080/feed", allow_private=True)
    assert checked.addresses == ("127.0.0.1",)
    checked = await check_url("http://localhost/", allow_private=True)
    assert "127.0.0.1" in checked.addresses


async def test_odd_spellings_are_refused_even_when_private_is_allowed() -> None:
    # The HTTP client refuses them too; they exist to slip past filters.
    with pytest.raises(UnsafeURLError, match="write IPv4 addresses as four decimal numbers"):
        await check_url("http://127.1:8080/", allow_private=True)


async def test_an_unresolvable_host_is_a_connect_error() -> None:
    with pytest.raises(FetchError, match=r"could not resolve host nowhere.example") as caught:
        await check_url("http://nowhere.example/", resolve=dns({}))
    assert caught.value.code == "connect"
    assert not isinstance(caught.value, UnsafeURLError)


async def test_the_default_fetcher_refuses_loopback(feed_server: FeedServer) -> None:
    feed_server.set("/feed.xml", b"<rss/>")
    client = HttpFetcher()
    try:
        with pytest.raises(UnsafeURLError, match="loopback"):
            await client.fetch(FetchRequest(feed_server.url("/feed.xml")))
    finally:
        await client.close()
    assert feed_server.hits["/feed.xml"] == 0


async def test_a_redirect_hop_to_a_private_address_is_refused(feed_server: FeedServer) -> None:
    # The first server (127.0.0.2) is explicitly allowed; it redirects to
    # 127.0.0.1, which is not: the hop must be checked and refused.
    async with serve_feeds_on("127.0.0.2") as entry:
        entry.redirect("/feed", feed_server.url("/secret"))
        feed_server.set("/secret", b"<rss/>")
        client = HttpFetcher(timeout=2, allow_addresses={"127.0.0.2"})
        try:
            with pytest.raises(UnsafeURLError, match=r"127.0.0.1 is a loopback address"):
                await client.fetch(FetchRequest(entry.url("/feed")))
        finally:
            await client.close()
        assert entry.hits["/feed"] == 1
    assert feed_server.hits["/secret"] == 0


async def test_a_redirect_to_another_scheme_is_refused(feed_server: FeedServer) -> None:
    feed_server.redirect("/feed", "file:///etc/passwd", status=301)
    client = HttpFetcher(allow_private=True, timeout=2)
    try:
        with pytest.raises(UnsafeURLError, match="scheme file is not allowed"):
            await client.fetch(FetchRequest(feed_server.url("/feed")))
    finally:
        await client.close()


@asynccontextmanager
async def serve_feeds_on(host: str) -> AsyncIterator[FeedServer]:
    server = FeedServer(host=host)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


async def test_the_pinned_resolver_answers_only_checked_addresses() -> None:
    resolver = PinnedResolver()
    with pytest.raises(OSError, match="not checked by the SSRF guard"):
        await resolver.resolve("feeds.example", 443)
    resolver.pin("feeds.example", ["93.184.216.34", "2606:2800:220:1::1"])
    answers = await resolver.resolve("feeds.example", 443, 0)  # type: ignore[arg-type]
    assert [(a["host"], a["port"]) for a in answers] == [
        ("93.184.216.34", 443),
        ("2606:2800:220:1::1", 443),
    ]
    only_v4 = await resolver.resolve("feeds.example", 443, socket.AF_INET)
    assert [a["host"] for a in only_v4] == ["93.184.216.34"]
    await resolver.close()


@pytest.mark.parametrize(
    "host",
    [
        "[64:ff9b::a9fe:a9fe]",  # NAT64, well-known prefix
        "[64:ff9b:1::a9fe:a9fe]",  # NAT64, local-use prefix
        "[2002:a9fe:a9fe::1]",  # 6to4
        "[::ffff:169.254.169.254]",  # IPv4-mapped
        "[::169.254.169.254]",  # IPv4-compatible
        "[::ffff:0:a9fe:a9fe]",  # IPv4-translated
        "[2001:0:4136:e378:8000:63bf:5601:5601]",  # Teredo, client 169.254.169.254
    ],
)
async def test_the_metadata_address_in_any_ipv6_form_is_refused_even_when_private_is_allowed(
    host: str,
) -> None:
    for url, resolve in (
        (f"http://{host}/latest/meta-data/", None),
        ("http://innocent.example/", dns({"innocent.example": [host.strip("[]")]})),
    ):
        with pytest.raises(UnsafeURLError) as caught:
            await check_url(url, allow_private=True, resolve=resolve)
        assert "an IPv6 form of 169.254.169.254, the cloud metadata address" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://news.example/rss",
        "http://editor:hunter2@news.example/rss",
        "http://news.example:99999/rss",
        "http://news.example/my feed.xml",
        "https://news.example/" + "a" * 2100,  # a redirect may lead here, and be adopted
    ],
)
async def test_the_guard_refuses_a_url_in_the_words_feeds_add_uses(url: str) -> None:
    with pytest.raises(ValueError) as stored:
        feed_url(url)
    with pytest.raises(UnsafeURLError) as fetched:
        await check_url(url, resolve=dns({"news.example": ["93.184.216.34"]}))
    assert str(fetched.value) == str(stored.value)
    assert "hunter2" not in str(fetched.value)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://news.example/a\u00a0b", True),  # a no-break space
        ("http://news.example/a\u200bb", True),  # a zero-width space
        ("http://news.example/a\tb", True),
        ("http://news.example/a\u3000b", True),  # an ideographic space
        ("http://news.example/caf\u00e9", False),
    ],
)
async def test_the_guard_refuses_hidden_spaces_and_controls(url: str, refused: bool) -> None:
    resolve = dns({"news.example": ["93.184.216.34"]})
    if refused:
        with pytest.raises(UnsafeURLError, match="spaces or control characters"):
            await check_url(url, resolve=resolve)
    else:
        assert (await check_url(url, resolve=resolve)).host == "news.example"
