"""Broken configuration is one clear line naming the file and where — never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def threadline(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_broken_feeds_yaml_names_file_and_line(tmp_path: Path, env: dict[str, str]) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: https://example.com/feed\n    name: [unclosed\n")
    result = threadline(
        "run",
        "--once",
        "--feeds",
        str(feeds),
        "--database",
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        env=env,
    )
    assert result.returncode == 2
    assert str(feeds) in result.stderr and "line 4" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_feed_entry_names_the_field(tmp_path: Path, env: dict[str, str]) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: ftp://example.com/feed\n    name: X\n    interval: 5\n")
    result = threadline(
        "feeds",
        "list",
        "--feeds",
        str(feeds),
        "--database",
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        env=env,
    )
    assert result.returncode == 2
    assert "feeds[0].url" in result.stderr and "feeds[0].interval" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_storyline_names_file_and_line(tmp_path: Path, env: dict[str, str]) -> None:
    stories = tmp_path / "storylines"
    stories.mkdir()
    (stories / "broken.yaml").write_text("id: broken\ntitle: 'unterminated\n")
    result = threadline(
        "storylines",
        "list",
        "--storylines",
        str(stories),
        "--database",
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        env=env,
    )
    assert result.returncode == 2
    assert "broken.yaml" in result.stderr and "line" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_environment_value_names_the_variable(tmp_path: Path, env: dict[str, str]) -> None:
    env["THREADLINE_DEFAULT_INTERVAL"] = "soon"
    result = threadline("feeds", "list", env=env)
    assert result.returncode == 2
    assert "THREADLINE_DEFAULT_INTERVAL" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_database_driver_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    result = threadline("feeds", "list", "--database", "mysql://localhost/x", env=env)
    assert result.returncode == 2
    assert "THREADLINE_DATABASE_URL" in result.stderr
