"""Two hours of Discord 503s, a cron delivery every 10 simulated minutes: nothing
is given up, and when Discord is back every post goes out exactly once. The real
discord.py client against the local Discord double; SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.config.storylines import load_storylines
from bot.core.posts import Reply
from bot.core.subscriptions import ChannelAddress
from bot.platforms.discord.platform import DiscordPlatform
from bot.service.deliver import Deliverer
from bot.service.ledger import FactLedger
from bot.storage import migrate
from bot.storage import tables as t
from bot.storage.audit_log import AuditLog
from bot.storage.engine import make_engine
from bot.storage.store import Store
from tests.conftest import REPO
from tests.platforms.discord.samples import CHANNEL
from tests.support.clock import FakeClock
from tests.support.fake_discord import FakeDiscord
from tests.support.store_rows import queue_reply

CRON = timedelta(minutes=10)
STORYLINES = load_storylines(REPO / "storylines")
TITLES = [f"Fable update number {n:02}" for n in range(8)]


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[Store]:
    engine = make_engine(sqlite_url)
    await migrate.upgrade(engine)
    s = Store(engine)
    yield s
    await s.close()


async def test_two_hours_of_discord_503s_lose_no_post(
    store: Store, discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    clock = FakeClock()
    pauses: list[float] = []

    async def paced(seconds: float) -> None:
        pauses.append(seconds)  # the channel's pacing, counted: the clock is simulated

    async def run() -> int:
        deliverer = Deliverer(
            store=store,
            ledger=FactLedger(store, STORYLINES, clock),
            platforms={"discord": platform},
            storylines=STORYLINES,
            clock=clock,
            audit=AuditLog(None),
            owner=f"cron-{clock.now():%H%M}",
            sleep=paced,
        )
        report = await deliverer.drain()
        clock.advance(CRON)
        return report.sent

    sub, _ = await store.follow(ChannelAddress("discord", CHANNEL), "fable-suspension", clock.now())
    for title in TITLES:
        await queue_reply(
            store,
            sub.id,
            Reply(
                kind="coverage", storyline="fable-suspension", title=title, url="https://e.com/f"
            ),
        )
    discord_api.outage(503)
    assert [await run() for _ in range(12)] == [0] * 12
    discord_api.restore()
    sent = [await run() for _ in range(3)]
    assert sum(sent) == 1 + len(TITLES)
    embeds = [str(m.get("embeds")) for m in discord_api.messages(CHANNEL)]
    threads = [m for ch in discord_api.channels.values() for m in ch.messages if ch.id != CHANNEL]
    posted = embeds + [str(m.get("embeds")) + str(m.get("content")) for m in threads]
    for title in TITLES:
        assert sum(title in text for text in posted) == 1
    async with store.engine.connect() as conn:
        assert {r.status for r in await conn.execute(t.outbox.select())} == {"sent"}
