"""One polling and delivering process per SQLite database file.

SQLite has no row locks, so two processes claiming the same feeds or outbox
rows could both win. The process that polls or delivers holds an exclusive
``flock`` on the database file itself (opened read-only), so the lock belongs
to the file, not to a path: the same database reached through a symlink, a hard
link or another spelling of its path is the same lock, and there is no lock
file that could be deleted, be a directory or be unwritable. The kernel
releases it when the process ends, however it ends, so a crash never leaves
the database locked. Read-only commands do not take it.

Why a flock on the database cannot disturb SQLite: SQLite locks with POSIX
record locks (``fcntl``), which Linux keeps apart from ``flock``. Closing *any*
descriptor of a file drops every POSIX lock the process holds on it, SQLite's
included, so the descriptor taken here stays open until ``release``, which the
application calls after its database is closed. (On NFS, Linux emulates
``flock`` with record locks; SQLite is not safe on NFS either, and a lock the
file system refuses is a clear error.)

Who holds the lock is read from ``/proc/locks`` and the holder's
``/proc/PID/cmdline`` (Linux); elsewhere the message says only that another
process holds it.

Why not the ``filelock`` library (4.3, measured): it closes its descriptor
whenever the lock is busy, which drops SQLite's own POSIX locks in this process
(another process then took the write lock of a transaction open here); it
cannot name the process that holds a ``flock``; it refuses a database reached
through a symlink (``O_NOFOLLOW``) and creates a missing one as an empty file.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import re
import shlex
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url

from bot.errors import AlreadyRunning, ConfigError

log = logging.getLogger(__name__)

POLL_EVERY = 0.2
VARIABLE = "THREADLINE_DATABASE_URL"
MAX_COMMAND = 300
_PASSWORD = re.compile(r"(://[^/:@\s]*:)[^@\s]*@")


def database_file(database_url: str) -> Path | None:
    """The file of a file SQLite database (a ``file:`` URI's too); None for
    PostgreSQL and in-memory SQLite."""
    url = make_url(database_url)
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:"):
        if url.query.get("mode") == "memory":
            return None
        name = unquote(urlsplit(name).path)
    return Path(name) if name else None


class ProcessLock:
    """An exclusive lock on the SQLite database file ``database``, held until
    ``release`` or the end of the process."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self._fd: int | None = None
        self._held = False

    def try_acquire(self) -> bool:
        """Take the lock if it is free. Raises ``ConfigError`` (one line) when
        the database file cannot be opened or the file system refuses locks."""
        if self._held:
            return True
        if self._fd is None:
            try:
                self._fd = os.open(self.database, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                raise ConfigError(
                    f"{VARIABLE}: cannot lock the SQLite database {self.database}: "
                    f"{exc.strerror or exc}"
                ) from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return False
            raise ConfigError(
                f"{VARIABLE}: cannot lock the SQLite database {self.database}: "
                f"{exc.strerror or exc} (its file system does not support locks; "
                "a network file system is not safe for SQLite: use a local disk or PostgreSQL)"
            ) from None
        self._held = True
        return True

    def holder(self) -> str:
        """The process holding the lock: ``pid 1234, `threadline run --once```."""
        if self._fd is None:
            return "another process"
        pid = _flock_holder(os.fstat(self._fd))
        if pid is None:
            return "a process this system does not show"
        command = _command_line(pid)
        return f"pid {pid}, `{command}`" if command else f"pid {pid}"

    async def acquire(self, *, wait: float) -> None:
        """Take the lock, waiting up to ``wait`` seconds for the process holding it;
        raise ``AlreadyRunning`` naming that process when it does not let go."""
        if self.try_acquire():
            return
        if wait > 0:
            log.warning(
                "waiting for another threadline process (%s) that polls and delivers with %s "
                "(up to %g s, THREADLINE_LOCK_WAIT)",
                self.holder(),
                self.database,
                wait,
            )
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                await asyncio.sleep(POLL_EVERY)
                if self.try_acquire():
                    return
        raise AlreadyRunning(
            f"another threadline process ({self.holder()}) polls and delivers with "
            f"{self.database}; on SQLite one process does that at a time. Let it finish or "
            "stop it, or use PostgreSQL to run several"
        )

    def release(self) -> None:
        """Let go of the lock and close the descriptor: call it only once the
        database is closed (see the module docstring)."""
        if self._fd is not None:
            if self._held:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
        self._fd = None
        self._held = False


def _flock_holder(st: os.stat_result) -> int | None:
    """The pid holding a ``flock`` on the file ``st`` describes, from ``/proc/locks``
    (``1: FLOCK  ADVISORY  WRITE 1234 fe:00:2148205 0 EOF``)."""
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as fh:
            for line in fh:
                fields = line.split()
                if "->" in fields or len(fields) < 6 or fields[1] != "FLOCK":
                    continue  # a waiter, or another kind of lock
                if fields[5] == device and fields[4].isdigit() and int(fields[4]) > 0:
                    return int(fields[4])
    except OSError:
        return None
    return None


def _command_line(pid: int) -> str:
    """What process ``pid`` runs, as a shell would show it (passwords in URLs
    hidden, cut at :data:`MAX_COMMAND` characters); "" when it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    if not args:
        return ""
    args[0] = os.path.basename(args[0])
    text = _PASSWORD.sub(r"\1***@", shlex.join(args))
    return text if len(text) <= MAX_COMMAND else text[: MAX_COMMAND - 1] + "…"
