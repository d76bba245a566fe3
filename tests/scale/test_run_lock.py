"""Issue 18, case 7: on SQLite one `threadline run` polls and delivers per database
*file*. A second run reaching the same file by a symlink, a hard link or after the
files beside it were deleted is refused with one line naming the first by pid and
command line; nothing beside the database (a directory where the old lock file
was) stops a run."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.scale.test_overlapping_runs import Running, launch, until
from tests.support.cli import threadline

pytestmark = pytest.mark.slow


def feeds(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds: []\n")
    return path


@asynccontextmanager
async def daemon(database: Path, env: dict[str, str]) -> AsyncIterator[Running]:
    """`threadline run` on ``database`` until the block ends, started and holding the lock."""
    running = await launch(
        "run", "--feeds", str(feeds(database.parent)), "--database", f"sqlite:///{database}",
        env=env,
    )  # fmt: skip
    try:
        await until(
            lambda: running.said("Threadline running") or running.done, "the daemon to start"
        )
        assert not running.done, "".join(running.lines)
        yield running
    finally:
        if running.proc.returncode is None:
            running.proc.terminate()
        await running.finish()


async def run_once(database: Path, env: dict[str, str]) -> tuple[int, str]:
    code, _out, err = await threadline(
        "run", "--once", "--feeds", str(feeds(database.parent)),
        "--database", f"sqlite:///{database}",
        env={**env, "THREADLINE_LOCK_WAIT": "0"},
    )  # fmt: skip
    return code, err


def assert_refused_beside(first: Running, code: int, err: str, path: Path) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    # Its pid and its command line, not a flag's value.
    assert f"another threadline process (pid {first.proc.pid}, `python" in lines[0]
    assert " -m bot run --feeds " in lines[0]
    assert f"polls and delivers with {path};" in lines[0]


async def test_the_same_database_through_a_link_is_refused(
    tmp_path: Path, env: dict[str, str]
) -> None:
    database = tmp_path / "data" / "threadline.db"
    database.parent.mkdir()
    (tmp_path / "other").mkdir()
    symlink = tmp_path / "other" / "link.db"
    symlink.symlink_to(database)
    async with daemon(database, env) as first:
        hard = tmp_path / "other" / "hard.db"
        os.link(database, hard)
        for path in (symlink, hard):
            code, err = await run_once(path, env)
            assert_refused_beside(first, code, err, path)


async def test_deleting_the_files_beside_the_database_lets_no_second_run_in(
    tmp_path: Path, env: dict[str, str]
) -> None:
    database = tmp_path / "data" / "threadline.db"
    database.parent.mkdir()
    async with daemon(database, env) as first:
        for path in database.parent.iterdir():
            if path.name.endswith(".lock"):
                path.unlink()
        code, err = await run_once(database, env)
        assert_refused_beside(first, code, err, database)


async def test_a_directory_where_the_lock_file_was_is_no_obstacle(
    tmp_path: Path, env: dict[str, str]
) -> None:
    database = tmp_path / "threadline.db"
    Path(f"{database}.lock").mkdir()
    code, err = await run_once(database, env)
    assert code == 0, err
    assert "polled 0 feeds" in err


async def test_the_lock_is_free_again_when_the_holder_is_killed(
    tmp_path: Path, env: dict[str, str]
) -> None:
    database = tmp_path / "threadline.db"
    async with daemon(database, env) as first:
        first.proc.kill()
        await asyncio.wait_for(first.proc.wait(), 30)
    code, err = await run_once(database, env)
    assert code == 0, err
