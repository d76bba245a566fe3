"""What a feed's URL and name must be before they are stored. Pure.

Used wherever a feed comes in (``feeds.yaml``, ``feeds add`` from the CLI or
chat), so a URL is refused with the same words everywhere and two spellings
of one feed (``HTTP://Host/x.xml#top`` and ``http://host/x.xml``) are one feed.
The fetcher's SSRF guard still checks every resolved address at fetch time;
this is the part that can be decided from the text alone.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

from bot.core.html_text import clean_text

MAX_NAME = 200
MAX_URL = 2048

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
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Zero-width and invisible formatting characters: they hide text in a name or
# make two names look alike (bidi overrides are removed by ``clean_text``).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
    "\u2060-\u2064\u206a-\u206f\u3164\ufeff\uffa0]"
)


# IPv6 ranges that carry an IPv4 address in their last 32 bits and reach it:
# NAT64 (RFC 6052 well-known prefix, RFC 8215 local use) and IPv4-translated (SIIT).
_IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "::ffff:0:0:0/96")
)


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


# A link as Slack sends it: <URL> or <URL|label>, the URL with no space, | or >.
_CHAT_LINK = re.compile(r"<(https?://[^\s|>]*)(?:\|[^>]*)?>", re.IGNORECASE)


def is_metadata_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is a cloud metadata address, written as IPv4 or IPv6 or
    reached through any IPv6 form of an IPv4 address (:func:`embedded_ipv4`)."""
    if ip in METADATA_ADDRESSES:
        return True
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return inner is not None and inner in METADATA_ADDRESSES


def feed_url(text: str) -> str:
    """The canonical form of a feed URL: scheme and host lower-cased, default
    port and fragment dropped, an empty path made ``/``; the query is kept as
    written (a feed's parameters are part of its address).

    Raises ``ValueError`` saying what is wrong: not http(s), no host, spaces
    or control characters, a user name or password, a port outside 1–65535,
    or a cloud metadata address. Never repeats a password it was given."""
    url = text.strip()
    if not url:
        raise ValueError("the URL is empty")
    if len(url) > MAX_URL:
        raise ValueError(f"the URL is {len(url)} characters long; the limit is {MAX_URL}")
    if any(ch.isspace() for ch in url) or clean_text(url) != url:
        raise ValueError("the URL contains spaces or control characters (encode a space as %20)")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValueError(f"the URL cannot be read ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        shown = f"{scheme}:" if scheme else "no scheme"
        raise ValueError(f"only http:// and https:// feeds are allowed (got {shown})")
    if "@" in parts.netloc:
        raise ValueError(
            "the URL contains a user name or password (user:pass@host), which is not allowed"
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
    if host in METADATA_HOSTS:
        raise ValueError(f"{host} is a cloud metadata service, not a feed")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and is_metadata_address(literal):
        raise ValueError(f"{literal} is the cloud metadata address, not a feed")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return urlunsplit(SplitResult(scheme, netloc, parts.path or "/", parts.query, ""))


def unwrap_chat_link(text: str) -> str:
    """A URL as the admin meant it, without the wrapping a chat client adds:
    Slack sends a link typed in a message or command as ``<http://x?a=1&amp;b=2|label>``
    or ``<http://x>`` (its label after the first ``|``, and ``&``, ``<``, ``>``
    escaped as entities). Text not wrapped in ``<…>`` is returned stripped."""
    url = text.strip()
    if not (url.startswith("<") and url.endswith(">")):
        return url
    return _unescape(url[1:-1].split("|", 1)[0]).strip()


def unwrap_chat_links(text: str) -> str:
    """``text`` with every Slack-style ``<http…|label>`` / ``<http…>`` link replaced
    by its bare URL, so a label with spaces cannot split a command's words."""
    return _CHAT_LINK.sub(lambda m: _unescape(m[1]), text)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clean_name(text: str) -> str:
    """A feed name fit to show in chat: control characters, bidi overrides and
    zero-width characters removed, whitespace collapsed, cut at ``MAX_NAME``."""
    name = " ".join(_INVISIBLE.sub("", clean_text(text)).split())
    return name[:MAX_NAME].rstrip()


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


def feed_ref(ref: str) -> str:
    """What ``feeds remove`` looks a feed up by: an id as given, a URL in its
    canonical form (so any spelling ``feeds add`` took finds the feed)."""
    ref = unwrap_chat_link(ref)
    if ref.isdigit():
        return ref
    try:
        return feed_url(ref)
    except ValueError:
        return ref
