"""SSRF guard: is this URL safe for the bot to fetch?

A feed URL comes from an admin (or a redirect chosen by a remote server), so it
must not make the bot reach its own machine, the local network or a cloud
metadata endpoint. ``check_url`` reads the URL with ``bot.core.urls.web_url``
(the one reading of a URL: http(s) only, no userinfo, the length limit),
resolves the host (A and AAAA) and refuses it when *any* answer is not a
globally routable address, unless ``allow_private`` is set
(``THREADLINE_ALLOW_PRIVATE_FEEDS=1``: tests and local setups).

The addresses it returns are the ones that were checked; the fetcher pins the
connection to them (see ``PinnedResolver``) so a DNS answer that changes between
the check and the connection cannot take it elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.core.urls import DEFAULT_PORTS, embedded_ipv4, is_metadata_address, web_url
from bot.errors import ErrorCode, FetchError, UnsafeURLError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

HostResolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves ``(host, port)`` to IP address strings; raises ``OSError`` on failure."""

_SHARED_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
# Characters an inet_aton-style numeric IPv4 spelling can use (decimal, octal, hex).
_NUMERIC_HOST = re.compile(r"[0-9a-fA-FxX.]+")


@dataclass(frozen=True, slots=True)
class CheckedURL:
    """A URL the guard accepted: ``host`` as the HTTP client will look it up,
    and the ``addresses`` it was checked against (connect only to those)."""

    url: URL
    host: str
    port: int
    addresses: tuple[str, ...]


def describe_address(ip: IPAddress) -> str | None:
    """Why ``ip`` is not globally routable ("a loopback address", …), or None
    when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = embedded_ipv4(ip)
        if embedded is not None:
            inner = describe_address(embedded)
            if inner is not None:
                return f"an IPv6 form of {embedded}, {inner}"
    if is_metadata_address(ip):
        return "the cloud metadata address (link-local)"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED_SPACE, "a shared (CGNAT) address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a globally routable address"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None


def _parse_url(url: str) -> URL:
    """``url`` read by ``bot.core.urls.web_url`` (http(s), a host, no
    userinfo, the length limit …) and then as the HTTP client reads it,
    without resolving it. Raises ``UnsafeURLError``."""
    try:
        form = web_url(url)
    except ValueError as error:
        raise UnsafeURLError(str(error)) from None
    try:
        return URL(form.canonical)
    except (ValueError, TypeError, UnicodeError) as error:
        raise UnsafeURLError(f"the URL cannot be read ({error})") from None


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address an inet_aton-style spelling denotes (``127.1``,
    ``2130706433``, ``0x7f.0.0.1``, ``0177.0.0.1``), or None if ``host`` is not
    a numeric spelling."""
    if not _NUMERIC_HOST.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(unquote(host))
    except ValueError:
        return None


def _answer_address(host: str, text: str) -> IPAddress:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise UnsafeURLError(f"{host} resolves to {text!r}, not an IP address") from None


async def system_resolve(host: str, port: int) -> Sequence[str]:
    """A and AAAA answers for ``host`` through the event loop's getaddrinfo."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def _refuse(host: str, ip: IPAddress, reason: str, *, literal: bool) -> UnsafeURLError:
    where = f"{ip} is" if literal else f"{host} resolves to {ip},"
    return UnsafeURLError(f"{where} {reason}; only public addresses may be fetched")


async def check_url(
    url: str,
    *,
    allow_private: bool = False,
    allow_addresses: Collection[str] = (),
    resolve: HostResolver | None = None,
) -> CheckedURL:
    """Check ``url`` and resolve its host.

    Raises ``UnsafeURLError`` (the message says exactly why) when the scheme is
    not http(s), the URL carries userinfo, the host is an unusual numeric IPv4
    spelling, or any resolved address is not globally routable and
    ``allow_private`` is False; ``FetchError(code=ErrorCode.CONNECT)`` when the host
    does not resolve. ``allow_addresses`` lists single non-public addresses
    that are allowed anyway (an internal feed server), without opening the
    rest of the private ranges.
    """
    parsed = _parse_url(url)
    host = parsed.raw_host or ""
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]

    literal = _literal_address(host)
    if literal is None:
        odd = numeric_ipv4(host)
        if odd is not None:
            reason = describe_address(odd)
            kind = f", {reason}" if reason else ""
            # Refused even when private feeds are allowed: the HTTP client would
            # not connect to it either, and such spellings exist to fool filters.
            raise UnsafeURLError(
                f"host {host} is an unusual spelling of {odd}{kind}; "
                "write IPv4 addresses as four decimal numbers"
            )

    if literal is not None:
        addresses: tuple[str, ...] = (str(literal),)
        ips: Iterable[IPAddress] = (literal,)
    else:
        try:
            answers = await (resolve or system_resolve)(host, port)
        except (OSError, UnicodeError) as error:
            raise FetchError(
                f"could not resolve host {host}: {error}", code=ErrorCode.CONNECT
            ) from None
        addresses = tuple(dict.fromkeys(str(a).split("%", 1)[0] for a in answers))
        if not addresses:
            raise FetchError(f"host {host} has no addresses", code=ErrorCode.CONNECT)
        # Read one by one: an earlier refused address is reported first.
        ips = (_answer_address(host, text) for text in addresses)

    for ip in ips:
        if is_metadata_address(ip):
            # Never a feed, and the keys to the machine: refused even where
            # private feeds are allowed.
            why = describe_address(ip) or "the cloud metadata address"
            raise _refuse(host, ip, why, literal=literal is not None)
        if allow_private or str(ip) in allow_addresses:
            continue  # admitted whatever it is: no need to ask what it is
        reason = describe_address(ip)
        if reason is not None:
            raise _refuse(host, ip, reason, literal=literal is not None)
    return CheckedURL(url=parsed, host=host, port=port, addresses=addresses)


class PinnedResolver(AbstractResolver):
    """An aiohttp resolver that answers only with the addresses the guard
    checked for a host (``pin``), never with a fresh DNS lookup, so the
    connection goes where the check said it may."""

    def __init__(self) -> None:
        self._pins: dict[str, tuple[str, ...]] = {}

    def pin(self, host: str, addresses: Sequence[str]) -> None:
        self._pins[host] = tuple(addresses)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = self._pins.get(host)
        if not addresses:
            raise OSError(f"host {host} was not checked by the SSRF guard")
        results: list[ResolveResult] = []
        for address in addresses:
            found = socket.AF_INET6 if ":" in address else socket.AF_INET
            if family in (socket.AF_INET, socket.AF_INET6) and family != found:
                continue
            results.append(_result(host, address, port, found))
        if not results:
            raise OSError(f"host {host} has no checked address of family {family!r}")
        return results

    async def close(self) -> None:
        self._pins.clear()


def _result(host: str, address: str, port: int, family: int) -> ResolveResult:
    flags: Any = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
    return ResolveResult(
        hostname=host,
        host=address,
        port=port,
        family=family,
        proto=socket.IPPROTO_TCP,
        flags=int(flags),
    )
