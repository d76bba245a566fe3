"""A started Threadline on a fresh SQLite file, printing to a console buffer.

The whole app as ``threadline run`` assembles it (real fetcher, storylines from the
repository, loopback feeds allowed), for tests that poll local feed servers and read
what the console received.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import Threadline, build
from bot.config.settings import load_settings
from bot.platforms.console import ConsolePlatform

REPO = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def console_app(
    tmp_path: Path, feeds: Path, *, use_seeded_history: bool = True
) -> AsyncIterator[tuple[Threadline, io.StringIO]]:
    """Build and start the app on ``tmp_path/db.sqlite`` with ``feeds``; close it after."""
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        feeds_file=feeds,
        storylines_dir=REPO / "storylines",
        allow_private_feeds=True,
    )
    out = io.StringIO()
    app = await build(
        settings, platforms={"console": ConsolePlatform(out)}, use_seeded_history=use_seeded_history
    )
    try:
        await app.start()
        yield app, out
    finally:
        await app.close()
