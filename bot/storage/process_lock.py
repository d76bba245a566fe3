"""One polling and delivering process per SQLite database file.

SQLite has no row locks, so two processes claiming the same feeds or outbox
rows could both win. The process that polls or delivers holds an exclusive
``flock`` on a lock file beside the database file (``threadline.db.lock``); the
kernel releases it when the process ends, however it ends, so a crash never
leaves the database locked. Read-only commands do not take it.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from bot.errors import AlreadyRunning

log = logging.getLogger(__name__)

POLL_EVERY = 0.2


def lock_path(database_url: str) -> Path | None:
    """The lock file of a file SQLite database; None for PostgreSQL or in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_name(Path(url.database).name + ".lock")


class ProcessLock:
    """An exclusive advisory lock on ``path``, held until ``release`` or exit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        # Say who holds it, for the message the next process prints.
        handle.seek(0)
        handle.truncate()
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        handle.write(f"pid {os.getpid()}, `{_command()}`, since {started}\n")
        handle.flush()
        self._file = handle
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "unknown"
        except OSError:
            return "unknown"

    async def acquire(self, *, wait: float) -> None:
        """Take the lock, waiting up to ``wait`` seconds for the process holding it;
        raise ``AlreadyRunning`` naming that process when it does not let go."""
        if self.try_acquire():
            return
        database = self.path.with_suffix("")
        if wait > 0:
            log.warning(
                "waiting for another threadline process (%s) that polls and delivers with %s "
                "(up to %g s, THREADLINE_LOCK_WAIT)",
                self.holder(),
                database,
                wait,
            )
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                await asyncio.sleep(POLL_EVERY)
                if self.try_acquire():
                    return
        raise AlreadyRunning(
            f"another threadline process ({self.holder()}) polls and delivers with {database}; "
            "on SQLite one process does that at a time. Let it finish or stop it, "
            "or use PostgreSQL to run several"
        )

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _command() -> str:
    args = [a for a in sys.argv[1:] if not a.startswith("-")][:2]
    return " ".join(["threadline", *args])
