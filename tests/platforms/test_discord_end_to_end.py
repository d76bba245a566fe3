"""`threadline run --once` into Discord: the real CLI, discord.py's real HTTP client and a
local fake of Discord's REST API; feeds served on 127.0.0.1."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from tests.platforms.conftest import BLOCKED, DOD, FABLE, HOSTILE
from tests.support.cli import start, threadline
from tests.support.fake_discord import FakeDiscord, fake_discord
from tests.support.feedserver import FeedServer, rss

TOKEN = "discord-e2e-token"
CHANNEL = "900000000000000001"


@pytest.fixture
async def discord_api() -> Any:
    async with fake_discord(token=TOKEN) as fake:
        fake.add_channel(CHANNEL)
        yield fake


@pytest.fixture
def setup(cli_args: list[str], env: dict[str, str], discord_api: FakeDiscord) -> list[str]:
    env.update(DISCORD_TOKEN=TOKEN, THREADLINE_DISCORD_API_URL=discord_api.api_base)
    return cli_args


def thread_messages(api: FakeDiscord) -> dict[str, list[dict[str, Any]]]:
    return {cid: ch.messages for cid, ch in api.channels.items() if ch.parent_id == CHANNEL}


@pytest.mark.slow
async def test_roots_threads_replies_edits_and_no_mentions(
    setup: list[str], env: dict[str, str], discord_api: FakeDiscord, feeds: FeedServer
) -> None:
    for storyline in ("fable-suspension", "dod-dispute"):
        code, _, err = await threadline(
            "follow", storyline, "--channel", f"discord:{CHANNEL}", *setup, env=env
        )
        assert code == 0, err
    code, _, err = await threadline("run", "--once", "--no-seeded-history", *setup, env=env)
    assert code == 0, err
    roots = discord_api.messages(CHANNEL)
    assert len(roots) == 2
    threads = thread_messages(discord_api)
    assert len(threads) == 2 and all(msgs == [] for msgs in threads.values())

    feeds.set("/fable.xml", rss([FABLE, HOSTILE]))
    feeds.set("/dod.xml", rss([DOD, BLOCKED]))
    code, _, err = await threadline("run", "--once", "--no-seeded-history", *setup, env=env)
    assert code == 0, err
    assert len(discord_api.messages(CHANNEL)) == 2  # replies went into threads, not the channel
    replies = [m for msgs in thread_messages(discord_api).values() for m in msgs]
    assert len(replies) >= 2
    assert any("Commerce talks" in str(m["embeds"]) for m in replies)
    edits = discord_api.calls_to("edit_message")
    assert len(edits) == 1 and "Pentagon" in str(edits[0].body)
    sends = [c for c in discord_api.sends() if isinstance(c.body, dict)]
    assert sends and all(
        c.body.get("allowed_mentions") == {"parse": []} for c in sends if c.route == "send_message"
    )
    assert all("<@U999>" not in str(m["embeds"]) for m in replies)


@pytest.mark.slow
async def test_kill_after_the_send_reached_discord_gives_no_duplicate(
    setup: list[str], env: dict[str, str], discord_api: FakeDiscord, feeds: FeedServer
) -> None:
    code, _, err = await threadline(
        "follow", "fable-suspension", "--channel", f"discord:{CHANNEL}", *setup, env=env
    )
    assert code == 0, err
    code, _, err = await threadline("run", "--once", "--no-seeded-history", *setup, env=env)
    assert code == 0, err
    sent_before = len(discord_api.calls_to("send_message"))

    feeds.set("/fable.xml", rss([FABLE, HOSTILE]))
    proc = await start("run", "--once", "--no-seeded-history", *setup, env=env)
    await discord_api.wait_for("send_message", count=sent_before + 1, timeout=60)
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    code, _, err = await threadline("run", "--once", "--no-seeded-history", *setup, env=env)
    assert code == 0, err
    replies = [m for msgs in thread_messages(discord_api).values() for m in msgs]
    assert len(replies) == 1
