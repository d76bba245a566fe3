"""The core stays pure: no platform, database, network, scheduler or parser imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "bot" / "core"
FORBIDDEN = {
    "slack_bolt",
    "slack_sdk",
    "discord",
    "sqlalchemy",
    "aiohttp",
    "apscheduler",
    "feedparser",
    "asyncpg",
    "aiosqlite",
    "alembic",
    "matplotlib",
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_nothing_impure(path: Path) -> None:
    assert not imported_roots(path) & FORBIDDEN


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy import select\nimport discord.ext\n")
    assert imported_roots(bad) & FORBIDDEN == {"sqlalchemy", "discord"}


def test_building_the_app_loads_no_plotting_library() -> None:
    # The painter imports matplotlib when it first draws, so the commands that
    # never draw (and the bot until someone asks for a picture) do not pay for it.
    code = (
        "import sys, bot.app, bot.entry.cli, bot.render_png.timeline;"
        " print('matplotlib' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "False"


def test_the_platform_registry_loads_no_chat_sdk() -> None:
    # Every CLI command imports the registry: a platform's SDK (discord.py takes
    # half a second) loads only when that platform is configured.
    code = (
        "import sys, bot.entry.cli, bot.platforms.registry;"
        " print(sorted({'discord', 'slack_sdk', 'slack_bolt'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "[]"
