"""Database failures people cause (a wrong URL, a read-only file, a server that is
down) as one clear line instead of a driver traceback.

``check_sqlite_path`` refuses what can be seen before opening (a directory given
as the database, a folder that cannot be made); ``describe`` turns the exception
a driver raised into a sentence that names the database (password hidden) and
what is wrong. Anything it does not recognise keeps the driver's first line.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.errors import ConfigError

VARIABLE = "THREADLINE_DATABASE_URL"


def safe_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return url.split("://", 1)[0] + "://…"


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for other databases and ``:memory:``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def check_sqlite_path(url: str) -> None:
    """Refuse an SQLite path that cannot be a database file (a directory, a FIFO,
    a device, a read-only file or folder), and make its folder.

    Raises ``ConfigError`` naming the path and what is wrong with it."""
    path = sqlite_path(url)
    if path is None:
        return
    if path.is_dir():
        raise ConfigError(f"{VARIABLE}: {path} is a directory, not an SQLite database file")
    if path.exists() and not path.is_file():
        # SQLite would wait forever reading a FIFO it opened for writing too.
        raise ConfigError(
            f"{VARIABLE}: {path} is a special file (a FIFO, device or socket), "
            "not an SQLite database file"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"{VARIABLE}: cannot create the folder {path.parent} for the database: "
            f"{exc.strerror or exc}"
        ) from None
    # Seen here, not from the driver: a connection that fails to open leaves
    # aiosqlite's thread racing the closing event loop. access() also honours
    # the immutable flag, which binds root too.
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise ConfigError(
            f"{VARIABLE}: the SQLite database {path} is read-only (check its permissions)"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        # SQLite writes its journal (-wal, -shm) beside the database file.
        raise ConfigError(
            f"{VARIABLE}: the folder {path.parent} of the SQLite database {path.name} "
            "is not writable"
        )


def describe(url: str, exc: BaseException) -> str:
    """One line saying which database failed and why, for an error raised while
    opening or using it."""
    where = safe_url(url)
    orig: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
    name = type(orig).__name__
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else name
    path = sqlite_path(url) if where.startswith("sqlite") else None
    lowered = text.lower()
    if path is not None:
        if "readonly database" in lowered or "read-only" in lowered:
            return f"{VARIABLE}: the SQLite database {path} is read-only (check its permissions)"
        if "not a database" in lowered:
            return f"{VARIABLE}: {path} is not an SQLite database"
        if "unable to open database file" in lowered:
            return (
                f"{VARIABLE}: cannot open or create the SQLite database {path} "
                f"(is its folder {path.parent} writable?)"
            )
        if "disk i/o error" in lowered or "database is locked" in lowered:
            return f"{VARIABLE}: the SQLite database {path}: {text}"
    if name == "InvalidCatalogNameError":
        return f"{VARIABLE}: {where}: {text} (create it first, e.g. `createdb`)"
    if name in ("InvalidAuthorizationSpecificationError", "InvalidPasswordError"):
        return f"{VARIABLE}: {where}: the server refused the login: {text}"
    if isinstance(orig, ConnectionRefusedError) or getattr(orig, "errno", None) in (
        errno.ECONNREFUSED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
    ):
        return f"{VARIABLE}: cannot connect to {where}: connection refused (is the server running?)"
    if isinstance(orig, OSError | TimeoutError):
        reason = orig.strerror if isinstance(orig, OSError) and orig.strerror else text
        return f"{VARIABLE}: cannot connect to {where}: {reason}"
    return f"{VARIABLE}: {where}: {name}: {text}"


def is_database_error(exc: BaseException) -> bool:
    """Whether ``exc`` came from the database driver (or reaching the server)."""
    if isinstance(exc, SQLAlchemyError):
        return True
    module = type(exc).__module__
    return module.startswith(("asyncpg", "sqlite3", "aiosqlite"))
