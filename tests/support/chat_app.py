"""A started Threadline on a given database, with the chat platforms a test
gives it (the real Slack/Discord adapters pointed at the API doubles), an
injected clock, and feeds on the local feed server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import Threadline, build
from bot.config.settings import load_settings
from bot.ports import ChatPlatform, Clock

REPO = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def chat_app(
    database_url: str,
    feeds: Path,
    platforms: Mapping[str, ChatPlatform],
    clock: Clock,
    *,
    instance_id: str | None = None,
) -> AsyncIterator[Threadline]:
    """Build and start the app (as ``threadline run`` does); close it after,
    platforms included."""
    settings = load_settings(
        database_url=database_url,
        feeds_file=feeds,
        storylines_dir=REPO / "storylines",
        allow_private_feeds=True,
        **({"instance_id": instance_id} if instance_id else {}),
    )
    app = await build(settings, platforms=platforms, clock=clock, use_seeded_history=False)
    try:
        await app.start()
        yield app
    finally:
        await app.close()
