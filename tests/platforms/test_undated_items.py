"""An item whose feed gives no usable date (none, or more than a day ahead) is
placed at the time the bot first saw it: its reply says so on Slack, Discord and
the console ("first seen … UTC (no usable date in the feed)"), and the flag is
stored with the item. The whole app with the real adapters at the API doubles."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.subscriptions import ChannelAddress
from bot.platforms.console import ConsolePlatform
from bot.platforms.discord.platform import DiscordPlatform
from bot.platforms.slack.platform import SlackPlatform, make_client
from tests.support.chat_app import chat_app
from tests.support.clock import FakeClock, ago, from_now, wall_now
from tests.support.console_app import console_app
from tests.support.fake_discord import fake_discord
from tests.support.fake_slack import fake_slack
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss

TOKEN = "xoxb-undated"
CHANNEL = "1300000000000000002"
UNDATED = "Judge blocks Pentagon's supply-chain risk designation of Anthropic"
AHEAD = "Pentagon appeals ruling on Anthropic supply-chain risk label"
DATED = "Pentagon formally designates Anthropic a supply-chain risk"


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    srv.set("/desk.xml", rss([]))
    yield srv
    await srv.close()


def item(title: str, **dated: Any) -> dict[str, Any]:
    return {
        "guid": title[:20],
        "link": f"https://desk.example/{len(title)}",
        "title": title,
        "summary": "A federal judge ruled on the Pentagon's designation of Anthropic.",
        **dated,
    }


def where(title: str, shown: list[str]) -> str:
    [text] = [s for s in shown if title in s]
    return text


def three_items() -> bytes:
    return rss(
        [
            item(UNDATED),
            item(AHEAD, published=from_now(days=3)),
            item(DATED, published=ago(hours=5)),
        ]
    )


def console_replies(out: io.StringIO) -> list[str]:
    return [line for line in out.getvalue().splitlines() if "] •" in line]


async def test_the_console_says_when_the_date_is_first_seen_and_the_flag_is_stored(
    tmp_path: Path, server: FeedServer
) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", [(server.url("/desk.xml"), "Court desk")])
    async with console_app(tmp_path, feeds, use_seeded_history=False) as (app, out):
        await app.poller.run_due(all_feeds=True)  # first poll: empty backlog
        server.set("/desk.xml", three_items())
        await app.poller.run_due(all_feeds=True)
        await app.deliverer.drain()
        stored = {e.title: e for e in await app.store.recent_entries(ago(days=2).resolve())}

    assert stored[UNDATED].date_was_replaced and stored[AHEAD].date_was_replaced
    assert not stored[DATED].date_was_replaced
    seen = stored[UNDATED].first_seen
    assert stored[UNDATED].published == seen == stored[AHEAD].published
    note = f"first seen {seen:%Y-%m-%d %H:%M} UTC (no usable date in the feed)"
    shown = console_replies(out)
    assert where(UNDATED, shown).endswith(f"— Court desk, {note}")
    assert where(AHEAD, shown).endswith(f"— Court desk, {note}")
    assert where(DATED, shown).endswith(f"— Court desk, {stored[DATED].published:%Y-%m-%d}")


@pytest.mark.slow
async def test_a_reply_says_when_the_date_is_first_seen_on_every_platform(
    tmp_path: Path, server: FeedServer
) -> None:
    clock = FakeClock(wall_now())
    out = io.StringIO()
    feeds = write_feeds(tmp_path / "feeds.yaml", [(server.url("/desk.xml"), "Court desk")])
    async with fake_slack(token=TOKEN) as slack, fake_discord("bot-token") as discord_api:
        discord_api.add_channel(CHANNEL)
        platforms = {
            "slack": SlackPlatform(make_client(TOKEN, slack.url)),
            "discord": await DiscordPlatform.login("bot-token", api_base=discord_api.api_base),
            "console": ConsolePlatform(out),
        }
        async with chat_app(
            f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", feeds, platforms, clock
        ) as app:
            # (the console follows every open storyline by itself)
            await app.commands.follow(ChannelAddress("slack", "C1"), "dod-dispute")
            await app.commands.follow(ChannelAddress("discord", CHANNEL), "dod-dispute")
            await app.poller.run_due(all_feeds=True)  # first poll: empty backlog
            await app.deliver()
            server.set("/desk.xml", three_items())
            await app.poller.run_due(all_feeds=True)
            await app.deliver()
            stored = {e.title: e for e in await app.store.recent_entries(ago(days=2).resolve())}

    seen = f"first seen {clock.now():%Y-%m-%d %H:%M} UTC (no usable date in the feed)"
    dated_day = f"{stored[DATED].published:%Y-%m-%d}"
    slack_replies = [json.dumps(m["blocks"]) for m in slack.messages("C1")[1:]]
    [root] = discord_api.messages(CHANNEL)
    discord_replies = [json.dumps(m["embeds"]) for m in discord_api.messages(root["thread"]["id"])]
    for shown in (slack_replies, discord_replies, console_replies(out)):
        assert seen in where(UNDATED, shown)
        assert seen in where(AHEAD, shown)
        assert dated_day in where(DATED, shown) and "first seen" not in where(DATED, shown)
