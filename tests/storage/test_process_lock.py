"""The SQLite run lock belongs to the database file, not to a path (issue 18, case 7):
the same file reached through a symlink, a hard link or another spelling of its
path is the same lock; what cannot be locked is one clear line; the holder is
shown by pid and command line."""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import AlreadyRunning, ConfigError
from bot.storage.process_lock import ProcessLock, database_file


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data" / "threadline.db"
    path.parent.mkdir()
    path.write_bytes(b"")
    yield path


def other_paths(database: Path) -> list[Path]:
    """Three other ways to reach ``database``."""
    tmp = database.parent.parent
    (tmp / "elsewhere").mkdir()
    symlink = tmp / "elsewhere" / "link.db"
    symlink.symlink_to(database)
    hard = tmp / "elsewhere" / "hard.db"
    os.link(database, hard)
    return [symlink, hard, database.parent / ".." / "data" / "." / database.name]


async def test_the_same_file_by_any_path_is_one_lock(database: Path) -> None:
    holder = ProcessLock(database)
    assert holder.try_acquire()
    try:
        for path in other_paths(database):
            second = ProcessLock(path)
            try:
                with pytest.raises(AlreadyRunning) as info:
                    await second.acquire(wait=0)
            finally:
                second.release()
            message = info.value.message
            assert message.startswith(f"another threadline process (pid {os.getpid()}, `")
            assert f"polls and delivers with {path};" in message
    finally:
        holder.release()
    # Let go: the next process takes it.
    after = ProcessLock(database)
    assert after.try_acquire()
    after.release()


async def test_the_holder_is_shown_by_its_command_line_not_a_flag_value(database: Path) -> None:
    holder = ProcessLock(database)
    assert holder.try_acquire()
    second = ProcessLock(database)
    try:
        assert not second.try_acquire()
        program, first, *_ = Path("/proc/self/cmdline").read_bytes().decode().split("\0")
        shown = second.holder()
        assert shown.startswith(f"pid {os.getpid()}, `{Path(program).name} {first}")
    finally:
        second.release()
        holder.release()


async def test_a_database_file_that_is_gone_is_one_clear_line(database: Path) -> None:
    database.unlink()
    with pytest.raises(ConfigError) as info:
        await ProcessLock(database).acquire(wait=0)
    assert info.value.message == (
        f"THREADLINE_DATABASE_URL: cannot lock the SQLite database {database}: "
        "No such file or directory"
    )


async def test_a_file_system_that_refuses_locks_is_one_clear_line(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What flock answers on a network file system that has no lock service.
    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(fcntl, "flock", no_locks)
    lock = ProcessLock(database)
    with pytest.raises(ConfigError) as info:
        await lock.acquire(wait=0)
    lock.release()
    assert info.value.message.startswith(
        f"THREADLINE_DATABASE_URL: cannot lock the SQLite database {database}: No locks available"
    )
    assert "\n" not in info.value.message


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/threadline.db", "data/threadline.db"),
        ("sqlite+aiosqlite:////srv/x.db", "/srv/x.db"),
        ("sqlite:///file:/srv/x%20y.db?mode=rwc&uri=true", "/srv/x y.db"),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:mem?mode=memory&uri=true", None),
        ("postgresql+asyncpg://u:p@db/threadline", None),
    ],
)
def test_which_file_is_locked(url: str, path: str | None) -> None:
    assert database_file(url) == (None if path is None else Path(path))


async def test_a_busy_lock_keeps_sqlites_own_locks(database: Path) -> None:
    # Closing any descriptor of the file drops every POSIX lock this process holds
    # on it, SQLite's included: a busy attempt must keep its descriptor open (the
    # reason the filelock library does not fit, see the module docstring). The
    # descriptor is closed by ``release``, after the database (``App.close``).
    database.unlink()
    writing = sqlite3.connect(database, isolation_level=None)
    writing.execute("CREATE TABLE t (x)")
    writing.execute("BEGIN IMMEDIATE")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_FLOCK, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    lock = ProcessLock(database)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        with pytest.raises(AlreadyRunning):
            await lock.acquire(wait=0)
        other = subprocess.run(
            [sys.executable, "-c", TRY_WRITE, str(database)], capture_output=True, text=True
        )
        assert other.stdout == "database is locked\n"
    finally:
        holder.communicate(b"")
        writing.close()
        lock.release()


HOLD_FLOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""
TRY_WRITE = """
import sqlite3, sys
try:
    sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None).execute("BEGIN IMMEDIATE")
    print("took the write lock")
except sqlite3.OperationalError as exc:
    print(exc)
"""
