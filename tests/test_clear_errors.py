"""Issue 9, case 4: a database or file that cannot be used is one clear line naming
it and what is wrong, a non-zero exit, nothing written, and no traceback."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_ENV, REPO
from tests.support.cli import threadline

# Every test runs the CLI in a subprocess, often several times: `make test-all`.
pytestmark = pytest.mark.slow

STORYLINES = str(REPO / "storylines")


def _feeds(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - url: http://127.0.0.1:9/feed.xml\n    name: Local desk\n")
    return path


def assert_one_clear_line(code: int, err: str, *words: str) -> None:
    assert code != 0
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], lines[0]


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` unwritable even for root (which ignores permission bits)."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], check=False).returncode:
        pytest.skip("running as root and this file system cannot make a path immutable")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


async def _feeds_list(tmp_path: Path, env: dict[str, str], database: str) -> tuple[int, str]:
    code, _out, err = await threadline(
        "feeds", "list", "--feeds", str(_feeds(tmp_path)), "--storylines", STORYLINES,
        "--database", database, env=env,
    )  # fmt: skip
    return code, err


async def test_read_only_database_folder(tmp_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    with read_only(folder):
        code, err = await _feeds_list(tmp_path, env, f"sqlite:///{folder}/threadline.db")
    assert_one_clear_line(code, err, "THREADLINE_DATABASE_URL", str(folder))
    assert list(folder.iterdir()) == []


async def _read_and_write(tmp_path: Path, env: dict[str, str], url: str) -> None:
    """What works on a database that cannot be written (every read-only command)
    and what is refused in one line (a command that writes)."""
    common = ["--feeds", str(_feeds(tmp_path)), "--storylines", STORYLINES, "--database", url]
    for command, shows in (
        (["feeds", "list"], "#1 Local desk"),
        (["feeds", "list", "--json"], '"name": "Local desk"'),
        (["storylines", "list"], "dod-dispute (open)"),
        (["storylines", "show", "dod-dispute"], "Designation:"),
        (["subscriptions", "list"], "console:terminal follows dod-dispute: active"),
    ):
        code, out, err = await threadline(*command, *common, env=env)
        assert (code, err) == (0, ""), err
        assert shows in out
    code, _out, err = await threadline("feeds", "remove", "1", *common, env=env)
    assert_one_clear_line(code, err, "THREADLINE_DATABASE_URL", "not writable" if
                          "folder" in err else "read-only")  # fmt: skip


async def _database_with_a_feed(tmp_path: Path, env: dict[str, str], db: Path) -> None:
    _code, _out, err = await threadline(
        "run", "--once", "--feeds", str(_feeds(tmp_path)), "--storylines", STORYLINES,
        "--database", f"sqlite:///{db}", env={**env, "THREADLINE_ALLOW_PRIVATE_FEEDS": "0"},
    )  # fmt: skip
    assert "polled 1 feeds" in err


async def test_read_only_database_file(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "threadline.db"
    await _database_with_a_feed(tmp_path, env, db)
    before = db.read_bytes()
    with read_only(db):
        await _read_and_write(tmp_path, env, f"sqlite:///{db}")
    assert db.read_bytes() == before


@pytest.mark.parametrize("held_open", [True, False])
async def test_database_in_a_read_only_folder(
    tmp_path: Path, env: dict[str, str], held_open: bool
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "threadline.db"
    await _database_with_a_feed(tmp_path, env, db)
    with contextlib.ExitStack() as stack:
        if held_open:  # by another process (the bot): its shared-memory file is there
            reader = stack.enter_context(contextlib.closing(sqlite3.connect(db)))
            reader.execute("SELECT count(*) FROM feeds").fetchone()
            assert Path(f"{db}-shm").stat().st_size > 0
        before = sorted(folder.iterdir()), db.read_bytes()
        with read_only(folder):
            await _read_and_write(tmp_path, env, f"sqlite:///{db}")
        assert (sorted(folder.iterdir()), db.read_bytes()) == before


async def test_a_fifo_given_as_the_database(tmp_path: Path, env: dict[str, str]) -> None:
    fifo = tmp_path / "threadline.db"
    os.mkfifo(fifo)
    code, err = await _feeds_list(tmp_path, env, f"sqlite:///{fifo}")
    assert_one_clear_line(code, err, str(fifo), "a special file (a FIFO, device or socket)")


async def test_file_that_is_not_a_database(tmp_path: Path, env: dict[str, str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: milk, eggs\n" * 100)
    code, err = await _feeds_list(tmp_path, env, f"sqlite:///{notes}")
    assert_one_clear_line(code, err, str(notes), "not an SQLite database")
    assert notes.read_text() == "shopping list: milk, eggs\n" * 100


async def test_directory_given_as_the_database(tmp_path: Path, env: dict[str, str]) -> None:
    code, err = await _feeds_list(tmp_path, env, f"sqlite:///{tmp_path}")
    assert_one_clear_line(code, err, str(tmp_path), "is a directory")


def _postgres() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    return url


@pytest.mark.postgres
async def test_missing_postgres_database(tmp_path: Path, env: dict[str, str]) -> None:
    base = _postgres().rsplit("/", 1)[0]
    code, err = await _feeds_list(tmp_path, env, f"{base}/no_such_database_here")
    assert_one_clear_line(code, err, "THREADLINE_DATABASE_URL", "no_such_database_here")


@pytest.mark.postgres
async def test_unknown_postgres_role_hides_the_password(
    tmp_path: Path, env: dict[str, str]
) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(_postgres()).set(username="nobody_here", password="s3cret-pw")
    code, err = await _feeds_list(tmp_path, env, url.render_as_string(hide_password=False))
    assert_one_clear_line(code, err, "THREADLINE_DATABASE_URL", "nobody_here")
    assert "s3cret-pw" not in err


async def test_closed_port(tmp_path: Path, env: dict[str, str]) -> None:
    # Port 9 (discard) on loopback: nothing listens there in a test environment.
    code, err = await _feeds_list(tmp_path, env, "postgresql+asyncpg://postgres@127.0.0.1:9/x")
    assert_one_clear_line(code, err, "THREADLINE_DATABASE_URL", "127.0.0.1:9", "refused")


@pytest.mark.parametrize(
    "url", ["postgresql+asyncpg://:::", "postgresql://host:port/x", "sqlite+aiosqlite"]
)
async def test_malformed_database_url(tmp_path: Path, env: dict[str, str], url: str) -> None:
    code, err = await _feeds_list(tmp_path, env, url)
    assert_one_clear_line(code, err, "THREADLINE_DATABASE_URL")
    assert "Value error" not in err


async def test_feeds_file_saved_as_latin1(tmp_path: Path, env: dict[str, str]) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_bytes(
        "feeds:\n  - url: http://127.0.0.1:9/x.xml\n    name: Le Monde — économie\n".encode(
            "latin-1", "replace"
        )
    )
    code, _out, err = await threadline(
        "feeds", "list", "--feeds", str(feeds), "--database", f"sqlite:///{tmp_path}/db.sqlite",
        env=env,
    )  # fmt: skip
    assert_one_clear_line(code, err, str(feeds), "line 3", "UTF-8")
    assert not (tmp_path / "db.sqlite").exists()


async def test_audit_log_that_is_a_directory_is_refused_before_any_poll(
    tmp_path: Path, env: dict[str, str]
) -> None:
    audit = tmp_path / "audit"
    audit.mkdir()
    code, _out, err = await threadline(
        "run", "--once", "--feeds", str(_feeds(tmp_path)), "--storylines", STORYLINES,
        "--database", f"sqlite:///{tmp_path}/db.sqlite", "--audit-log", str(audit), env=env,
    )  # fmt: skip
    assert_one_clear_line(code, err, "THREADLINE_AUDIT_LOG", str(audit), "directory")
    assert not (tmp_path / "db.sqlite").exists()


async def test_audit_log_that_cannot_be_written_is_refused_before_any_poll(
    tmp_path: Path, env: dict[str, str]
) -> None:
    audit = tmp_path / "audit.jsonl"
    audit.write_text("")
    with read_only(audit):
        code, _out, err = await threadline(
            "run", "--once", "--feeds", str(_feeds(tmp_path)), "--storylines", STORYLINES,
            "--database", f"sqlite:///{tmp_path}/db.sqlite", "--audit-log", str(audit),
            env=env,
        )  # fmt: skip
    assert_one_clear_line(code, err, "THREADLINE_AUDIT_LOG", str(audit), "not writable")
    assert not (tmp_path / "db.sqlite").exists()
