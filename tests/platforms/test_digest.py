"""Digest per channel: `/threadline follow ID digest:daily at:HH:MM` makes a
channel's coverage one reply a day (fact changes still post at once). At the
Slack and Discord API doubles, with the real adapters and command paths, an
injected clock crossing the digest time, a restart between the items and the
digest, and two instances on PostgreSQL producing one digest."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.platforms.discord.commands import ThreadlineDiscordClient
from bot.platforms.discord.platform import DiscordPlatform
from bot.platforms.slack.app import build_slack_app
from bot.platforms.slack.platform import SlackPlatform, make_client
from bot.storage import tables as t
from tests.platforms.discord.samples import TOKEN as DISCORD_TOKEN
from tests.platforms.discord.samples import command_data, interaction
from tests.platforms.slack.test_app import SECRET, command_body, dispatch, signed
from tests.platforms.test_absorbed_outlets import STORY, Desks, cycle
from tests.support.chat_app import chat_app
from tests.support.clock import FakeClock, wall_now
from tests.support.fake_discord import fake_discord
from tests.support.fake_slack import FakeSlack, fake_slack

TOKEN = "xoxb-digest"
CHANNEL = "C0123"  # where command_body's slash commands come from
APPEAL = "Pentagon appeals ruling on Anthropic supply-chain risk label"
LATER = "Anthropic and Pentagon lawyers meet over supply-chain risk designation appeal"


@pytest.fixture
async def desks(tmp_path: Path) -> AsyncIterator[Desks]:
    from tests.support.feedserver import FeedServer

    server = FeedServer()
    await server.start()
    yield Desks(server, tmp_path)
    await server.close()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with fake_slack(token=TOKEN) as fake:
        fake.add_user("UANN")
        yield fake


def start_clock() -> tuple[FakeClock, str]:
    """A clock at the wall time (feeds date their items by it) and a digest
    time an hour later."""
    clock = FakeClock(wall_now().replace(second=0))
    return clock, (clock.now() + timedelta(hours=1)).strftime("%H:%M")


def slack_app(slack: FakeSlack) -> SlackPlatform:
    return SlackPlatform(make_client(TOKEN, slack.url))


async def slash(slack: FakeSlack, app: Any, text: str) -> str:
    """`/threadline TEXT` in CHANNEL, signed, through the Bolt app into the
    real command service; the answer posted to response_url."""
    bolt = build_slack_app(
        token=TOKEN,
        signing_secret=SECRET,
        handler=app.commands,
        admins=frozenset(),
        client=app.platforms["slack"].client,
    )
    seen = len(slack.responses)
    body = command_body(slack, "UANN", text)
    assert await dispatch(bolt, body, signed(body)) == 200
    responses = await slack.wait_for_responses(seen + 1)
    return str(responses[-1]["text"])


def replies(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in slack.messages(CHANNEL) if m.get("thread_ts", m["ts"]) != m["ts"]]


def digests(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in replies(slack) if m["text"].startswith("Daily digest")]


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"])


@pytest.mark.slow
async def test_slack_digest_is_one_reply_a_day_and_survives_a_restart(
    tmp_path: Path, desks: Desks, slack: FakeSlack
) -> None:
    clock, at = start_clock()
    db = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    async with chat_app(db, desks.file, {"slack": slack_app(slack)}, clock) as app:
        answer = await slash(slack, app, f"follow dod-dispute digest:daily at:{at}")
        assert f"digest daily at {at} UTC" in answer and "fact changes" in answer
        await cycle(app)  # the root card
        desks.publish("A", 3)
        desks.publish("B", 2, APPEAL)
        desks.publish("C", 1)  # the story of A, from another outlet
        await cycle(app)
        # fact changes at once; no coverage reply, no digest before its time
        assert any(m["text"].startswith("Designation changed") for m in replies(slack))
        assert not [m for m in replies(slack) if STORY[:30] in m["text"] or "appeals" in m["text"]]
        assert digests(slack) == []
        listing = await slash(slack, app, "storylines")
        assert f"this channel: follows, digest daily at {at} UTC" in listing

    clock.advance(timedelta(minutes=61))  # past the digest time, in a new process
    async with chat_app(db, desks.file, {"slack": slack_app(slack)}, clock) as app:
        await app.deliver()
        [digest] = digests(slack)
        [root] = [
            m for m in slack.messages(CHANNEL) if "thread_ts" not in m or m["thread_ts"] == m["ts"]
        ]
        assert digest["thread_ts"] == root["ts"]
        shown = text_of(digest)
        assert "2 matched items from 3 outlets" in shown
        assert "Outlet A (1)" in shown and "Outlet B (1)" in shown and "Outlet C (1)" in shown
        assert STORY[:40] in shown and APPEAL in shown
        assert "Outlet A and 1 other outlet" in shown
        assert "score 100" in shown

        await app.deliver()
        clock.advance(timedelta(days=1))  # a quiet day: no digest
        await app.deliver()
        assert len(digests(slack)) == 1

        desks.publish("D", 0.5, LATER)
        await cycle(app)
        assert len(digests(slack)) == 1 and not [
            m for m in replies(slack) if "lawyers" in m["text"]
        ]
        clock.advance(timedelta(days=1))
        await app.deliver()
        _, second = digests(slack)
        assert "1 matched item from 1 outlet" in text_of(second) and LATER in text_of(second)
        assert APPEAL not in text_of(second)  # what is in a digest is not in the next

        # digest:off: items are posted at once again
        answer = await slash(slack, app, "follow dod-dispute digest:off")
        assert "every matched item is posted" in answer
        desks.publish("E", 0.2, "Senators question Pentagon over Anthropic supply-chain risk label")
        await cycle(app)
        assert [m for m in replies(slack) if "Senators" in m["text"]]


@pytest.mark.slow
async def test_discord_digest_from_typed_options(tmp_path: Path, desks: Desks) -> None:
    clock, at = start_clock()
    db = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    async with fake_discord(DISCORD_TOKEN) as api:
        from tests.platforms.discord.samples import CHANNEL as DCHANNEL

        api.add_channel(DCHANNEL)
        platform = await DiscordPlatform.login(DISCORD_TOKEN, api_base=api.api_base)
        async with chat_app(db, desks.file, {"discord": platform}, clock) as app:
            client = ThreadlineDiscordClient(app.commands, api_base=api.api_base)
            async with client:
                await client.login(DISCORD_TOKEN)
                payload = interaction(
                    command_data("follow", storyline="dod-dispute", digest="daily", at=at)
                )
                done = asyncio.ensure_future(client.wait_for("app_command_completion", timeout=10))
                client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
                await done
            [group] = [c for c in api.commands if c["name"] == "threadline"]
            [follow] = [o for o in group["options"] if o["name"] == "follow"]
            options = {o["name"]: o for o in follow["options"]}
            assert [c["value"] for c in options["digest"]["choices"]] == ["daily", "off"]
            assert not options["at"]["required"] and not options["tz"]["required"]
            [answer] = api.interaction_responses[payload["id"]]
            assert f"digest daily at {at} UTC" in answer["data"]["content"]
            await cycle(app)
            desks.publish("A", 3)
            desks.publish("B", 2, APPEAL)
            await cycle(app)
            [root] = api.messages(DCHANNEL)
            thread = root["thread"]["id"]
            titles = [m["embeds"][0]["title"] for m in api.messages(thread)]
            assert STORY not in titles and APPEAL not in titles  # held
            assert any("changed" in title for title in titles)  # fact changes at once

            clock.advance(timedelta(minutes=61))
            await app.deliver()
            await app.deliver()
            [digest] = [
                m for m in api.messages(thread) if "Daily digest" in m["embeds"][0]["title"]
            ]
            embed = digest["embeds"][0]
            assert embed["description"].startswith("2 matched items from 2 outlets")
            items = [f["name"] for f in embed["fields"]]
            assert sorted(items) == sorted([STORY.replace("'", "'"), APPEAL])
            story = embed["fields"][items.index(STORY)]["value"]
            assert story.startswith("Outlet A · score") and "https://a.example/" in story


@pytest.mark.slow
@pytest.mark.postgres
async def test_two_instances_on_postgres_produce_one_digest(
    postgres_url: str, tmp_path: Path, desks: Desks, slack: FakeSlack
) -> None:
    clock, at = start_clock()
    async with (
        chat_app(
            postgres_url, desks.file, {"slack": slack_app(slack)}, clock, instance_id="one"
        ) as one,
        chat_app(
            postgres_url, desks.file, {"slack": slack_app(slack)}, clock, instance_id="two"
        ) as two,
    ):
        answer = await slash(slack, one, f"follow dod-dispute digest:daily at:{at}")
        assert "digest daily" in answer
        await cycle(one)
        desks.publish("A", 3)
        desks.publish("B", 2, APPEAL)
        await one.poller.run_due(all_feeds=True)
        clock.advance(timedelta(minutes=61))
        for _ in range(3):  # both instances, at the same moment, several times
            await asyncio.gather(one.deliver(), two.deliver())
        [digest] = digests(slack)
        assert "2 matched items" in text_of(digest)
        async with one.store.engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(t.digests)) == 1
