"""Every error Threadline raises on purpose: one class per decision a caller makes.

    ThreadlineError              base: ``code`` (for people and the audit log) and a message
    ├── ConfigError              fix the file or variable the message names; nothing starts
    ├── AlreadyRunning           another process runs the bot on this SQLite database: stop
    ├── FeedError                one feed's problem: recorded on that feed, which backs off;
    │   │                        the other feeds go on
    │   ├── FetchError           not fetched: network, HTTP status, too big, bad encoding
    │   │   ├── HttpStatusError  an HTTP error status other than 304/410/429/503
    │   │   ├── UnsafeURLError   the URL or a redirect hop is not a public http(s) address
    │   │   └── FetchRetryLater  429/503: the server asked us to wait ``retry_after`` (RetryLater)
    │   └── ParseError           fetched, but not a usable feed (not a feed, unsafe XML, broken)
    ├── DeliveryError            this message was not sent: retried with backoff
    │   ├── DeliveryRetryLater   rate limited: retry after ``retry_after`` (RetryLater)
    │   ├── ThreadGone           the storyline's thread was deleted or locked: start a new root
    │   ├── MessageGone          the message to edit was deleted in chat: drop the edit
    │   └── ChannelUnavailable   channel gone, bot removed, forbidden, token rejected: stop
    │                            posting there (the subscription is disabled, admins told)
    ├── CommandError             a command was refused: show the message to whoever typed it
    │   └── PermissionDenied     only admins may do that
    └── RetryLater               mixed into the two *RetryLater: wait ``retry_after`` seconds

Codes are :class:`ErrorCode` values; they are a contract (the audit log, the feeds'
``last_error`` and the outbox rows carry them), so a value never changes. Two kinds
of code come from outside and are kept as given: ``http_<status>`` for other HTTP
statuses and a chat platform's own error name (Slack's ``channel_not_found`` …).
Callers branch on the classes, never on codes.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

#: The longest wait a server's or platform's "retry after" is honoured for.
MAX_RETRY_AFTER = timedelta(hours=6)


class ErrorCode(StrEnum):
    """Threadline's own error codes; the values are recorded and must stay stable."""

    ERROR = "error"
    CONFIG = "config"
    ALREADY_RUNNING = "already_running"
    COMMAND = "command"
    FORBIDDEN = "forbidden"
    # feeds: fetching
    FEED = "feed"
    FETCH = "fetch"
    CONNECT = "connect"
    TIMEOUT = "timeout"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "http_503"
    TOO_LARGE = "too_large"
    UNSUPPORTED_ENCODING = "unsupported_encoding"
    DECODE = "decode"
    UNSAFE_URL = "unsafe_url"
    # feeds: parsing
    PARSE = "parse"
    NOT_A_FEED = "not_a_feed"
    UNSAFE_XML = "unsafe_xml"
    # feeds: states the poll cycle and the feeds file record
    GONE = "gone"
    REMOVED = "removed"
    TOO_MANY_FAILURES = "too_many_failures"
    # delivery ("ratelimited" is Slack's spelling, kept for both platforms)
    DELIVERY = "delivery"
    PLATFORM_RATE_LIMITED = "ratelimited"
    THREAD_GONE = "thread_gone"
    INVALID_AUTH = "invalid_auth"
    MISSING_ACCESS = "missing_access"
    MISSING_PERMISSIONS = "missing_permissions"
    UNKNOWN_CHANNEL = "unknown_channel"
    UNKNOWN_MESSAGE = "unknown_message"
    SERVER_ERROR = "server_error"
    BAD_REQUEST = "bad_request"
    NETWORK = "network"


class ThreadlineError(Exception):
    """Base of every error Threadline raises on purpose."""

    code: str = ErrorCode.ERROR

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class RetryLater(ThreadlineError):
    """The other side asked us to come back later. ``retry_after`` is the wait
    it asked for in seconds, or None when it named none."""

    def __init__(
        self, message: str, *, code: ErrorCode | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ConfigError(ThreadlineError):
    """Invalid settings, feeds file or storyline file. The message names the
    file (or variable), the line or field, and what is wrong."""

    code = ErrorCode.CONFIG


class FeedError(ThreadlineError):
    """A problem with one feed. The poll loop records it on that feed and goes on."""

    code: str = ErrorCode.FEED


class FetchError(FeedError):
    """The feed could not be fetched: network failure, HTTP error, too big."""

    code: str = ErrorCode.FETCH


class HttpStatusError(FetchError):
    """The server answered with an error status; the code is ``http_<status>``."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status
        self.code = f"http_{status}"


class UnsafeURLError(FetchError):
    """The URL (or a redirect hop) is not http(s) or resolves to a non-public address."""

    code = ErrorCode.UNSAFE_URL


class FetchRetryLater(FetchError, RetryLater):
    """The server asked us to come back later (429, 503); ``retry_after`` is
    its Retry-After in seconds (capped at :data:`MAX_RETRY_AFTER`), or None."""


class ParseError(FeedError):
    """The body was fetched but is not a usable feed: ``not_a_feed`` (HTML,
    JSON, plain text, empty), ``unsafe_xml`` (entity tricks that could not be
    neutralised) or ``parse`` (too big, or the parser failed)."""

    code = ErrorCode.PARSE


class AlreadyRunning(ThreadlineError):
    """Another process already polls and delivers with this SQLite database."""

    code = ErrorCode.ALREADY_RUNNING


class DeliveryError(ThreadlineError):
    """Sending one message to a chat platform failed; it is retried with
    backoff. ``code`` is ours or the platform's own error name."""

    code: str = ErrorCode.DELIVERY

    def __init__(self, message: str, *, code: ErrorCode | str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class DeliveryRetryLater(DeliveryError, RetryLater):
    """The platform rate-limited us; ``retry_after`` is its wait in seconds, or None."""

    code = ErrorCode.PLATFORM_RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        RetryLater.__init__(self, message, retry_after=retry_after)


class ThreadGone(DeliveryError):
    """The storyline's thread was deleted or locked while its channel is still
    reachable: the delivery worker starts a new root there."""

    code = ErrorCode.THREAD_GONE


class MessageGone(DeliveryError):
    """The message an edit was for is gone (deleted in chat, or its thread is):
    the edit is dropped, the subscription goes on."""

    code = ErrorCode.UNKNOWN_MESSAGE


class ChannelUnavailable(DeliveryError):
    """The channel is gone, the bot was removed or forbidden, or its token was
    rejected: retrying cannot help, so the subscription is disabled."""


class CommandError(ThreadlineError):
    """A chat or CLI command was refused; the message is shown to the user."""

    code = ErrorCode.COMMAND


class PermissionDenied(CommandError):
    code = ErrorCode.FORBIDDEN
