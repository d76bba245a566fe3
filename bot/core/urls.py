"""URLs, read in one place. Pure.

* :func:`web_url` — the one reading of an address the bot may fetch: http(s),
  a host, no user name or password, a port in range, no spaces or control
  characters, at most :data:`MAX_URL` characters; refused in words otherwise;
* :func:`feed_url` — a feed's address as stored: that, not a cloud metadata
  service, in canonical form (two spellings of one feed are one feed);
* :func:`canonical_url` — an article link's form for recognising the same
  article: tracking parameters dropped; never raises;
* :func:`redact_url` — a URL fit to show, its password hidden;
* :func:`is_metadata_address` — the cloud metadata addresses, however written.

The fetcher's SSRF guard reads every address it fetches with :func:`web_url`
too (redirect targets included) and then checks what the host resolves to.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from bot.core.text import UNWANTED

# Every address the bot fetches may become a feed's stored address (a
# permanent redirect is adopted), so one limit serves both; 2048 is what
# browsers and servers reliably carry, and no real feed needs more.
MAX_URL = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}

# Cloud metadata services: never a feed, whatever THREADLINE_ALLOW_PRIVATE_FEEDS says.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle …
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS VPC DNS
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
    }
)
# IPv6 ranges that carry an IPv4 address in their last 32 bits and reach it:
# NAT64 (RFC 6052 well-known prefix, RFC 8215 local use) and IPv4-translated (SIIT).
_IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "::ffff:0:0:0/96")
)

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt.mc_id",
        "cmpid",
        "ocid",
        "ncid",
        "sr_share",
        "smid",
        "at_medium",
        "at_campaign",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "at_")

# An http(s) URL whose parts can be read off directly: a lower-case scheme, a
# host of ASCII letters, digits, dots and hyphens (no user, no brackets), an
# optional port, a path and query without whitespace. Most article links are
# this; canonical_url builds their form without urlsplit/urlunsplit (a property
# test holds the two ways to the same result).
_PLAIN_WEB_URL = re.compile(
    r"(https?)://([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?(/[^?#\s]*)?(?:\?([^#\s]*))?(?:#.*)?",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class WebURL:
    """An http(s) address as :func:`web_url` read it: ``scheme`` and ``host``
    lower-case (no trailing dot, no IPv6 brackets), ``port`` as written (None
    when none was), ``path`` and ``query`` as written."""

    scheme: str
    host: str
    port: int | None
    path: str
    query: str

    @property
    def canonical(self) -> str:
        """The address with the default port and the fragment dropped and an
        empty path made ``/``."""
        netloc = _netloc(self.scheme, self.host, self.port)
        return urlunsplit(SplitResult(self.scheme, netloc, self.path or "/", self.query, ""))


def web_url(text: str) -> WebURL:
    """``text`` read as an address the bot may fetch. Raises ``ValueError``
    saying what is wrong: empty, too long, spaces or control characters, not
    http(s), a user name or password, no host, a port outside 1–65535. Never
    repeats a password it was given."""
    url = text.strip()
    if not url:
        raise ValueError("the URL is empty")
    if len(url) > MAX_URL:
        raise ValueError(f"the URL is {len(url)} characters long; the limit is {MAX_URL}")
    if any(ch.isspace() for ch in url) or UNWANTED.search(url):
        raise ValueError("the URL contains spaces or control characters (encode a space as %20)")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValueError(f"the URL cannot be read ({exc})") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise ValueError("this is not an absolute URL (it needs http:// or https://)")
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"scheme {scheme} is not allowed (only http:// and https://)")
    if "@" in parts.netloc:
        raise ValueError(
            "the URL contains a user name or password (user@host), which is not allowed"
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError("the URL has no host name")
    try:
        port = parts.port
    except ValueError:
        written = parts.netloc.rpartition(":")[2]
        if written.isdigit():
            raise ValueError(f"port {int(written)} is out of range (1 to 65535)") from None
        raise ValueError("the port must be a number from 1 to 65535") from None
    if port == 0:
        raise ValueError("port 0 is out of range (1 to 65535)")
    return WebURL(scheme, host, port, parts.path, parts.query)


def feed_url(text: str) -> str:
    """The canonical form of a feed's address (:attr:`WebURL.canonical`; the
    query is kept as written: a feed's parameters are part of its address).
    Raises ``ValueError`` as :func:`web_url` does, and for a cloud metadata
    host or address."""
    url = web_url(text)
    if url.host in METADATA_HOSTS:
        raise ValueError(f"{url.host} is a cloud metadata service, not a feed")
    try:
        literal = ipaddress.ip_address(url.host)
    except ValueError:
        literal = None
    if literal is not None and is_metadata_address(literal):
        raise ValueError(f"{literal} is the cloud metadata address, not a feed")
    return url.canonical


def canonical_url(url: str) -> str:
    """The form of ``url`` used to recognise the same article: scheme and host
    lower-cased, default port and fragment dropped, tracking parameters
    (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid`` …) removed; every other
    query parameter is kept in its order and spelling. Never raises: a URL
    it cannot parse comes back stripped of whitespace and control characters."""
    # Printable text without a space has nothing to remove or collapse: UNWANTED's
    # characters and all whitespace but the space are unprintable (a test checks
    # every code point).
    as_is = url.isprintable() and " " not in url
    text = url if as_is else " ".join(UNWANTED.sub("", url).split())
    plain = _PLAIN_WEB_URL.fullmatch(text)
    if plain is not None:
        scheme, host, port, path, query = plain.groups()
        host = host.lower().rstrip(".")
        number = int(port) if port else None
        if host and (number is None or number <= 65535):
            query = _strip_tracking(query or "")
            netloc = _netloc(scheme, host, number)
            return f"{scheme}://{netloc}{path or '/'}{'?' if query else ''}{query}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if not parts.netloc:
        # Stripped again: dropping a fragment can leave trailing space.
        return urlunsplit(parts._replace(scheme=scheme, fragment="")).strip()
    netloc = _netloc(scheme, (parts.hostname or "").rstrip("."), port)
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or ("/" if scheme in DEFAULT_PORTS else "")
    return urlunsplit(SplitResult(scheme, netloc, path, _strip_tracking(parts.query), "")).strip()


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for output and logs: a feed
    stored before user:pass@ was refused must not show its password)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches through a translation or tunnel
    (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64
    ``64:ff9b::a.b.c.d``, 6to4 ``2002:AABB:CCDD::``, Teredo), or None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    value = int(ip)
    if value >> 32 == 0 and value > 1:  # IPv4-compatible; not :: or ::1
        return ipaddress.IPv4Address(value)
    if any(ip in net for net in _IPV4_IN_LAST_32_BITS):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def is_metadata_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is a cloud metadata address, written as IPv4 or IPv6 or
    reached through any IPv6 form of an IPv4 address (:func:`embedded_ipv4`)."""
    if ip in METADATA_ADDRESSES:
        return True
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return inner is not None and inner in METADATA_ADDRESSES


def _netloc(scheme: str, host: str, port: int | None) -> str:
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    return netloc


def _strip_tracking(query: str) -> str:
    if not query:
        return ""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = pair.split("=", 1)[0].lower()
        if name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES):
            continue
        kept.append(pair)
    return "&".join(kept)
