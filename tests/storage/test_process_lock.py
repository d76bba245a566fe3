"""The SQLite run lock belongs to the database file, not to a path (issue 18, case 7):
the same file reached through a symlink, a hard link or another spelling of its
path is the same lock; what cannot be locked is one clear line; the holder is
shown by pid and command line."""

from __future__ import annotations

import errno
import fcntl
import os
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
