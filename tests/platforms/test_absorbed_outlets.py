"""Later outlets absorbed: when other outlets report a story whose reply was
already sent, that reply is edited ("also reported by …", newest first, five
named then counted), never posted again. At the Slack and Discord API doubles,
with the real adapters, the whole app and an injected clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.subscriptions import ChannelAddress
from bot.platforms.discord.platform import DiscordPlatform
from bot.platforms.slack.platform import SlackPlatform, make_client
from tests.support.chat_app import chat_app
from tests.support.clock import FakeClock, ago, wall_now
from tests.support.fake_discord import fake_discord
from tests.support.fake_slack import FakeSlack, fake_slack
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss
from tests.support.store_rows import outbox_statuses

TOKEN = "xoxb-absorb"
STORY = "Judge blocks Pentagon's supply-chain risk designation of Anthropic"
OUTLETS = "ABCDEFGHI"


class Desks:
    """One feed per outlet (Outlet A … Outlet I), empty until an outlet publishes."""

    def __init__(self, server: FeedServer, tmp_path: Path) -> None:
        self.server = server
        for o in OUTLETS:
            server.set(f"/{o}.xml", rss([]))
        self.file = write_feeds(
            tmp_path / "feeds.yaml",
            [(server.url(f"/{o}.xml"), f"Outlet {o}") for o in OUTLETS],
        )

    def publish(self, outlet: str, hours_ago: float, title: str = STORY) -> None:
        self.server.set(
            f"/{outlet}.xml",
            rss(
                [
                    {
                        "guid": f"{outlet}-{title[:10]}",
                        "link": f"https://{outlet.lower()}.example/{len(title)}",
                        "title": title,
                        "summary": "A federal judge granted Anthropic a preliminary injunction.",
                        "published": ago(hours=hours_ago),
                    }
                ]
            ),
        )


@pytest.fixture
async def desks(tmp_path: Path) -> AsyncIterator[Desks]:
    server = FeedServer()
    await server.start()
    yield Desks(server, tmp_path)
    await server.close()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with fake_slack(token=TOKEN) as fake:
        yield fake


async def cycle(app: Any) -> None:
    await app.poller.run_due(all_feeds=True)
    await app.deliver()


def coverage_in(slack: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """The thread replies whose text is the story's headline (not fact changes)."""
    return [
        m
        for m in slack.messages(channel)
        if m.get("thread_ts", m["ts"]) != m["ts"] and STORY[:30] in m["text"]
    ]


def edits_of(slack: FakeSlack, message: dict[str, Any]) -> list[Any]:
    """The chat.update calls on ``message`` (root card edits are others)."""
    return [c for c in slack.calls_of("chat.update") if c.args.get("ts") == message["ts"]]


def shown(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or message.get("embeds"))


async def test_slack_reply_is_edited_as_outlets_arrive_never_reposted(
    tmp_path: Path, desks: Desks, slack: FakeSlack
) -> None:
    clock = FakeClock(wall_now())
    platform = SlackPlatform(make_client(TOKEN, slack.url))
    async with chat_app(
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", desks.file, {"slack": platform}, clock
    ) as app:
        await app.commands.follow(ChannelAddress("slack", "C1"), "dod-dispute")
        await cycle(app)  # first poll: empty backlog; the root card
        desks.publish("A", 10)
        await cycle(app)
        [reply] = coverage_in(slack, "C1")
        assert "also reported by" not in shown(reply)
        posts_before = len(slack.calls_of("chat.postMessage"))

        desks.publish("B", 9)
        await cycle(app)
        assert len(slack.calls_of("chat.postMessage")) == posts_before  # no new post
        assert len(edits_of(slack, reply)) == 1
        [reply] = coverage_in(slack, "C1")
        assert "also reported by Outlet B" in shown(reply)

        # six more outlets in one cycle: one edit, newest first, five named, the rest counted
        for n, outlet in enumerate("CDEFGH"):
            desks.publish(outlet, 8 - n)
        await cycle(app)
        assert len(edits_of(slack, reply)) == 2
        assert len(slack.calls_of("chat.postMessage")) == posts_before
        [reply] = coverage_in(slack, "C1")
        assert (
            "also reported by Outlet H, Outlet G, Outlet F, Outlet E, Outlet D and 2 more"
            in shown(reply)
        )
        # the edited reply keeps its outbox key: it can still be found after a crash
        assert reply["metadata"]["event_payload"]["outbox_id"].startswith("tl-")

        await cycle(app)  # nothing new: nothing sent
        assert len(edits_of(slack, reply)) == 2


@pytest.mark.slow
async def test_slack_edit_waits_for_its_reply_and_survives_a_crash_mid_edit(
    tmp_path: Path, desks: Desks, slack: FakeSlack
) -> None:
    clock = FakeClock(wall_now())
    platform = SlackPlatform(make_client(TOKEN, slack.url))
    async with chat_app(
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", desks.file, {"slack": platform}, clock
    ) as app:
        await app.commands.follow(ChannelAddress("slack", "C1"), "dod-dispute")
        await cycle(app)
        desks.publish("A", 10)
        slack.server_error("chat.postMessage", times=1)  # the reply fails once
        await app.poller.run_due(all_feeds=True)
        await app.deliver()
        desks.publish("B", 9)
        await cycle(app)  # the reply is not due yet: the edit waits for it
        assert coverage_in(slack, "C1") == []

        clock.advance(timedelta(minutes=1))
        await app.deliver()  # the reply, then its edit
        [reply] = coverage_in(slack, "C1")
        assert "also reported by Outlet B" in shown(reply)
        assert len(edits_of(slack, reply)) == 1

        # a crash while an edit is on its way: the answer never comes back
        desks.publish("C", 8)
        await app.poller.run_due(all_feeds=True)
        slack.stall("chat.update")
        crashed = asyncio.ensure_future(app.deliver())
        await asyncio.wait_for(slack.stalled.wait(), 10)
        crashed.cancel()
        await asyncio.gather(crashed, return_exceptions=True)
        slack.release()
        clock.advance(timedelta(minutes=5))  # its lease runs out
        await app.deliver()  # sent again, rendered the same
        updates = edits_of(slack, reply)
        assert len(updates) == 3
        assert updates[-1].args["blocks"] == updates[-2].args["blocks"]
        [reply] = coverage_in(slack, "C1")
        assert "also reported by Outlet C, Outlet B" in shown(reply)
        # one failed try, then one post of the story: every later outlet was an edit
        story_posts = [
            c.error for c in slack.calls_of("chat.postMessage") if STORY in c.args["text"]
        ]
        assert story_posts == ["fatal", None]


@pytest.mark.slow
async def test_slack_reply_deleted_in_chat_drops_the_edit_not_the_channel(
    tmp_path: Path, desks: Desks, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(wall_now())
    platform = SlackPlatform(make_client(TOKEN, slack.url))
    async with chat_app(
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", desks.file, {"slack": platform}, clock
    ) as app:
        await app.commands.follow(ChannelAddress("slack", "C1"), "dod-dispute")
        await cycle(app)
        desks.publish("A", 10)
        await cycle(app)
        [reply] = coverage_in(slack, "C1")
        slack.delete_message("C1", reply["ts"])
        desks.publish("B", 9)
        with caplog.at_level("INFO", logger="bot.service.absorb"):
            await cycle(app)
        [update] = edits_of(slack, reply)
        assert update.error == "message_not_found"
        assert "not editing reply" in caplog.text and "gone" in caplog.text
        [sub] = await app.store.subscriptions(enabled_only=False)
        assert sub.enabled
        assert (await outbox_statuses(app.store)).get("skipped") == 1
        await cycle(app)  # dropped, not retried
        assert len(edits_of(slack, reply)) == 1
        # the channel goes on: the next story is posted there
        desks.publish("C", 1, "Pentagon appeals ruling on Anthropic supply-chain risk label")
        await cycle(app)
        assert any("appeals" in m["text"] for m in slack.messages("C1"))


CHANNEL = "1300000000000000001"


@pytest.mark.slow
async def test_discord_reply_is_patched_and_a_deleted_one_is_left_alone(
    tmp_path: Path, desks: Desks
) -> None:
    clock = FakeClock(wall_now())
    async with fake_discord("bot-token") as api:
        api.add_channel(CHANNEL)
        platform = await DiscordPlatform.login("bot-token", api_base=api.api_base)
        async with chat_app(
            f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
            desks.file,
            {"discord": platform},
            clock,
        ) as app:
            await app.commands.follow(ChannelAddress("discord", CHANNEL), "dod-dispute")
            await cycle(app)
            desks.publish("A", 10)
            await cycle(app)
            [root] = api.messages(CHANNEL)
            thread = root["thread"]["id"]
            [reply] = [m for m in api.messages(thread) if m["embeds"][0]["title"] == STORY]
            sends = len(api.calls_to("send_message"))

            desks.publish("B", 9)
            desks.publish("C", 8)
            await cycle(app)
            assert len(api.calls_to("send_message")) == sends  # never a new post
            patches = [c for c in api.calls_to("edit_message") if reply["id"] in c.path]
            assert len(patches) == 1 and patches[0].status == 200
            [reply] = [m for m in api.messages(thread) if m["id"] == reply["id"]]
            also = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
            assert also["Also reported by"] == "Outlet C, Outlet B"
            assert " · ref " in reply["embeds"][0]["footer"]["text"]  # still findable

            api.delete_message(thread, reply["id"])
            desks.publish("D", 7)
            await cycle(app)
            patches = [c for c in api.calls_to("edit_message") if reply["id"] in c.path]
            assert [c.status for c in patches] == [200, 404]
            [sub] = await app.store.subscriptions(enabled_only=False)
            assert sub.enabled
            assert len(api.calls_to("send_message")) == sends
