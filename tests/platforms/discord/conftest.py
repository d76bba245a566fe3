from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.platforms.discord.platform import DiscordPlatform
from tests.platforms.discord.samples import CHANNEL, TOKEN
from tests.support.fake_discord import FakeDiscord, fake_discord


@pytest.fixture
async def discord_api() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(token=TOKEN) as server:
        server.add_channel(CHANNEL)
        yield server


@pytest.fixture
async def platform(discord_api: FakeDiscord) -> AsyncIterator[DiscordPlatform]:
    platform = await DiscordPlatform.login(TOKEN, api_base=discord_api.api_base)
    try:
        yield platform
    finally:
        await platform.close()
