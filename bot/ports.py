"""The ports: what the application needs from the outside world.

Each is a ``typing.Protocol``; adapters implement them and ``bot.app`` wires
them. Datetimes crossing a port are aware UTC. The record types the store's
Protocols speak (declared beside each use case, in ``bot.service``) are here
too, so a use case never imports the storage adapter, not even its types.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.core.audit_events import AuditEvent
from bot.core.commands import CommandReply, CommandRequest, Invoker
from bot.core.document import DocumentItems, Origin
from bot.core.items import ParsedFeed
from bot.core.posts import Card, MessageRef, PostKind, Reply
from bot.core.status import StatusReport
from bot.core.subscriptions import Subscription


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware UTC."""


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One conditional GET. ``etag``/``last_modified`` are sent back verbatim as
    stored; ``body_hash`` is the sha256 hex of the last body that was parsed."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of a fetch that got an HTTP answer we can act on.

    ``status``:
      * ``ok`` — a new body in ``body`` (decoded, at most the size cap);
      * ``not_modified`` — 304, nothing to parse;
      * ``unchanged`` — 200 but the body hashes to ``FetchRequest.body_hash``;
      * ``gone`` — 410, the feed should be disabled.
    ``final_url`` is the URL after redirects; ``permanent_redirect`` is set when
    every hop was 301/308 (the caller may adopt it after repeated sightings).
    ``headers`` are the final response's headers (lower-case names).
    """

    status: Literal["ok", "not_modified", "unchanged", "gone"]
    final_url: str
    http_status: int
    body: bytes = b""
    headers: Mapping[str, str] | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    permanent_redirect: str | None = None


class Fetcher(Protocol):
    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one feed URL.

        Raises ``UnsafeURLError`` when the URL or any redirect hop is not http(s)
        or resolves to a non-public address (unless private feeds are allowed),
        and ``FetchError`` for timeouts, connection failures, HTTP errors other
        than 304/410, oversize bodies and too many redirects; its ``code`` says
        which. A 429/503 raises ``FetchRetryLater`` (a ``FetchError``) with
        ``retry_after`` in seconds when the server named a wait. Never raises
        anything else for a bad server or URL.
        """

    async def close(self) -> None: ...


class FeedParser(Protocol):
    def parse(
        self, body: bytes, headers: Mapping[str, str] | None = None, known: Collection[str] = ()
    ) -> ParsedFeed:
        """Parse a feed document. Synchronous and CPU-bound: callers run it off
        the event loop. Raises ``ParseError`` (with ``code`` ``not_a_feed``,
        ``unsafe_xml`` or ``parse``) and never anything else. ``known``: item
        keys the caller has stored already; an entry whose key is certainly one
        of them may come back as its guid alone (``RawEntry.known``), its text
        not read (most of a poll's items: reading them was a fifth of it)."""


class ParseRunner(Protocol):
    """Where a fetched document is read, off the event loop: a worker thread or
    a pool of processes. The poll cycle hands it at most ``slots`` documents at
    once, so bodies do not pile up waiting. ``beside``: it reads on other CPUs,
    beside the event loop's own work (a thread takes turns with it)."""

    slots: int

    @property
    def beside(self) -> bool: ...

    async def read(
        self,
        parser: FeedParser,
        body: bytes,
        headers: Mapping[str, str] | None,
        origin: Origin,
        known: frozenset[str],
        *,
        here: Executor | None = None,
    ) -> DocumentItems:
        """``bot.core.document.document_items`` of ``parser.parse(body,
        headers)``'s items, made where the parse runs; raises what the parser
        raises (``ParseError``), or ``ParseError`` when the worker running it
        died. ``here``: an idle thread of the caller's own, to read this
        document on, in this process, instead of waiting for the runner's."""


class AuditSink(Protocol):
    def write(self, events: Iterable[AuditEvent]) -> None:
        """Record ``events`` (each as its ``to_record()``), in order and together:
        the lines of one call are never interleaved with another writer's."""


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    """What one chat platform accepts. ``per_channel_interval`` is the pause
    (seconds) kept between two posts to one channel."""

    max_text: int
    max_title: int
    per_channel_interval: float


class ChatPlatform(Protocol):
    """A chat platform that carries storyline threads.

    Every method raises ``DeliveryError`` only: ``ChannelUnavailable`` when the
    channel is gone or forbids the bot (the subscription is then disabled),
    ``ThreadGone`` when the thread alone is gone, ``DeliveryRetryLater`` when
    rate-limited (retry after ``retry_after`` seconds); any other may be retried.
    ``idempotency_key`` is unique per outbox row: a platform that supports it
    uses it to make a resend after a crash harmless. A platform that can show
    a root card's ``picture`` says so with a true ``shows_pictures`` attribute
    (an optional one: without it, cards come without pictures).
    """

    name: str
    limits: PlatformLimits

    async def post_root(self, channel: str, card: Card, *, idempotency_key: str) -> MessageRef:
        """Post a storyline's root card and open a thread on it."""

    async def post_reply(
        self, channel: str, thread: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> MessageRef:
        """Post ``reply`` in the thread of ``thread``."""

    async def edit_root(self, channel: str, root: MessageRef, card: Card) -> None:
        """Replace the root card's content."""

    async def edit_reply(
        self, channel: str, message: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> None:
        """Replace a sent reply's content with ``reply`` (``message`` as
        ``post_reply`` returned it; ``idempotency_key`` the one it was sent
        with, so it can still be found after the edit). Raises ``MessageGone``
        when the message (or its thread) was deleted."""

    async def post_notice(self, channel: str, notice: Reply, *, idempotency_key: str) -> MessageRef:
        """Post a standalone message (not in a storyline thread): notices to admins."""

    async def find_sent(
        self, channel: str, idempotency_key: str, *, thread: MessageRef | None = None
    ) -> MessageRef | None:
        """The message already sent for ``idempotency_key``, if the platform can
        tell (used after a crash between sending and recording). ``thread`` is the
        root a reply would have gone under, when there is one."""

    async def close(self) -> None:
        """Release the platform's connections (the app is shutting down)."""


class CommandHandler(Protocol):
    async def execute(self, invoker: Invoker, text: str) -> CommandReply:
        """Run one ``/threadline`` command line (e.g. ``follow dod-dispute``,
        ``feeds add https://… Name``). Never raises for user errors: a refused or
        failed command is a ``CommandReply`` with ``ok=False``. Admin-only
        commands (``feeds …``) are refused unless ``invoker.is_admin``, before
        any database write or network fetch. The line is read by
        ``bot.core.command_text`` (quotes only when balanced; ``feeds add``'s
        name is the rest of the line verbatim)."""

    async def run(self, invoker: Invoker, request: CommandRequest) -> CommandReply:
        """Run one command whose values are already separated (Discord's typed
        options): each value is used exactly as given, never split or unquoted
        again. Same promises as ``execute``."""

    def storyline_choices(self, typed: str, *, open_only: bool) -> list[tuple[str, str]]:
        """At most 25 storylines ``(id, title)`` whose id or title contains
        ``typed`` (case-insensitive), for autocomplete; only open ones when
        ``open_only``. Cheap and without I/O: autocomplete must answer at once."""


class StatusSource(Protocol):
    async def report(self, *, admin: bool) -> StatusReport:
        """The status page as ``admin`` may see it: feed health and the outbox
        only when ``admin`` (decided server-side by the caller), the storyline
        states for everyone. Reads only."""


# --- what the store's Protocols speak ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """What a poll learned about one feed; written with the cycle's items."""

    feed_id: int
    status: str
    polled_at: datetime
    next_poll_at: datetime
    success: bool
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    validators_changed: bool = False
    backlog_done: bool = False
    failures: int = 0
    error_code: str | None = None
    last_error: str | None = None
    enabled: bool = True
    redirect_url: str | None = None
    redirect_count: int = 0
    url: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A claimed outbox row: ``reply`` is set for ``PostKind.REPLY`` rows."""

    id: int
    subscription: Subscription
    kind: PostKind
    reply: Reply | None
    attempts: int
    status: str
    unreachable: int = 0


@dataclass(frozen=True, slots=True)
class EditTarget:
    """What an ``edit`` row edits: the coverage reply (outbox row ``row_id``,
    ``status``, ``message_id`` once sent, the ``reply`` as sent) and the
    ``outlets`` that reported its story since, newest first."""

    row_id: int
    status: str
    message_id: str | None
    reply: Reply
    outlets: tuple[str, ...]
