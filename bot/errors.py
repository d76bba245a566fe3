"""One error hierarchy. Expected errors carry a short machine-readable ``code``
(shown to admins and in ``feeds list``) and a message meant for people."""

from __future__ import annotations

from datetime import timedelta

#: The longest wait a server's or platform's "retry after" is honoured for.
MAX_RETRY_AFTER = timedelta(hours=6)


class ThreadlineError(Exception):
    """Base of every error Threadline raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class ConfigError(ThreadlineError):
    """Invalid settings, feeds file or storyline file. The message names the
    file (or variable), the line or field, and what is wrong."""

    code = "config"


class FeedError(ThreadlineError):
    """A problem with one feed. The poll loop records it on that feed and goes on."""

    code = "feed"


class FetchError(FeedError):
    """The feed could not be fetched: refused URL, network failure, HTTP error, too big."""

    code = "fetch"


class UnsafeURLError(FetchError):
    """The URL (or a redirect hop) is not http(s) or resolves to a non-public address."""

    code = "unsafe_url"


class ParseError(FeedError):
    """The body was fetched but is not a usable feed."""

    code = "parse"


class StorageError(ThreadlineError):
    code = "storage"


class AlreadyRunning(ThreadlineError):
    """Another process already polls and delivers with this SQLite database."""

    code = "already_running"


class DeliveryError(ThreadlineError):
    """Sending to a chat platform failed.

    ``permanent`` errors (channel gone, bot removed, bad auth) disable the
    subscription; the others are retried with backoff. ``retry_after`` is the
    platform's requested wait in seconds, when it gave one.
    """

    code = "delivery"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        permanent: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.permanent = permanent
        self.retry_after = retry_after


class CommandError(ThreadlineError):
    """A chat or CLI command was refused; the message is shown to the user."""

    code = "command"


class PermissionDenied(CommandError):
    code = "forbidden"
