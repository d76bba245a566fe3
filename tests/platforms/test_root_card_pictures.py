"""Root cards carry the storyline's latest timeline picture: on Slack as an image
block naming a privately uploaded file, on Discord as the embed's image from an
attachment of the root message; an edit after a fact change brings a new one.
The real platforms, wrapped as the composition root wraps them, against the
fake Slack and Discord APIs; the ledger on the in-memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.core.facts import Claim, FactView
from bot.core.render import card
from bot.platforms.discord.platform import DiscordPlatform
from bot.platforms.slack.platform import SlackPlatform, make_client
from bot.render_png.timeline import MatplotlibTimelinePainter
from bot.service.ledger import FactLedger
from bot.service.pictures import PicturedCards, TimelinePictures
from tests.core.builders import storyline
from tests.support.clock import FakeClock
from tests.support.fake_discord import FakeDiscord, fake_discord
from tests.support.fake_slack import FakeSlack, fake_slack
from tests.support.memory_store import MemoryStore

SLACK_TOKEN = "xoxb-pictures"
DISCORD_TOKEN = "discord-pictures"
CHANNEL = "1300000000000000001"
STORY = storyline()


def claim(value: str, hours: float, source: str) -> Claim:
    return Claim(
        storyline=STORY.id,
        fact="access_status",
        value=value,
        published=FakeClock().now() - timedelta(days=10) + timedelta(hours=hours),
        source=source,
        item_key=f"{source}-{hours}",
    )


@pytest.fixture
def setup() -> tuple[MemoryStore, FakeClock, TimelinePictures]:
    store = MemoryStore()
    store.add_claims([claim("available", 0, "Acme"), claim("suspended", 24, "Reuters")])
    clock = FakeClock()
    ledger = FactLedger(store, [STORY], clock, use_seeded_history=False)
    return store, clock, TimelinePictures(ledger, MatplotlibTimelinePainter(), clock)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with fake_slack(token=SLACK_TOKEN) as server:
        yield server


@pytest.fixture
async def discord_api() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(token=DISCORD_TOKEN) as server:
        server.add_channel(CHANNEL)
        yield server


async def test_a_slack_root_card_shows_the_picture_and_an_edit_a_new_one(
    slack: FakeSlack, setup: tuple[MemoryStore, FakeClock, TimelinePictures]
) -> None:
    store, clock, pictures = setup
    platform = PicturedCards(
        SlackPlatform(make_client(SLACK_TOKEN, slack.url)), pictures, [STORY], clock
    )
    first = card(STORY, {"access_status": FactView(STORY.id, "access_status", "suspended")})

    root = await platform.post_root("C1", first, idempotency_key="root-1")

    [uploaded] = slack.files.values()
    assert uploaded.channel is None  # private: shown through the card, not shared as a post
    assert uploaded.data is not None and uploaded.data.startswith(b"\x89PNG")
    [message] = slack.messages("C1")
    [image] = [b for b in message["blocks"] if b["type"] == "image"]
    assert image["slack_file"] == {"id": uploaded.id}
    assert message["blocks"][-1]["type"] == "context"  # the footer stays last

    store.add_claims([claim("restored", 48, "AP"), claim("restored", 50, "BBC")])
    clock.advance(timedelta(minutes=5))
    second = card(STORY, {"access_status": FactView(STORY.id, "access_status", "restored")})
    await platform.edit_root("C1", root, second)

    assert len(slack.files) == 2
    newest = max(slack.files.values(), key=lambda f: f.id)
    [edited] = slack.messages("C1")
    assert [b["slack_file"] for b in edited["blocks"] if b["type"] == "image"] == [
        {"id": newest.id}
    ]
    assert newest.data != uploaded.data


async def test_a_slack_card_goes_without_its_picture_when_the_upload_fails(
    slack: FakeSlack, setup: tuple[MemoryStore, FakeClock, TimelinePictures]
) -> None:
    _store, clock, pictures = setup
    platform = PicturedCards(
        SlackPlatform(make_client(SLACK_TOKEN, slack.url)), pictures, [STORY], clock
    )
    slack.server_error("files.getUploadURLExternal", times=5)
    the_card = card(STORY, {"access_status": FactView(STORY.id, "access_status", "suspended")})

    await platform.post_root("C1", the_card, idempotency_key="root-1")

    [message] = slack.messages("C1")
    assert all(b["type"] != "image" for b in message["blocks"])


async def test_a_discord_root_embed_shows_the_attached_picture_and_an_edit_replaces_it(
    discord_api: FakeDiscord, setup: tuple[MemoryStore, FakeClock, TimelinePictures]
) -> None:
    store, clock, pictures = setup
    inner = await DiscordPlatform.login(DISCORD_TOKEN, api_base=discord_api.api_base)
    platform = PicturedCards(inner, pictures, [STORY], clock)
    try:
        first = card(STORY, {"access_status": FactView(STORY.id, "access_status", "suspended")})
        root = await platform.post_root(CHANNEL, first, idempotency_key="root-1")
        [message] = discord_api.messages(CHANNEL)
        [attachment] = message["attachments"]
        assert attachment["filename"] == f"timeline-{STORY.id}.png"
        assert message["embeds"][0]["image"]["url"] == f"attachment://timeline-{STORY.id}.png"
        [upload] = discord_api.uploads
        assert upload.route == "send_message" and upload.data.startswith(b"\x89PNG")

        store.add_claims([claim("restored", 48, "AP"), claim("restored", 50, "BBC")])
        second = card(STORY, {"access_status": FactView(STORY.id, "access_status", "restored")})
        await platform.edit_root(CHANNEL, root, second)
    finally:
        await platform.close()

    [edited] = discord_api.messages(CHANNEL)
    [replaced] = edited["attachments"]
    assert replaced["id"] != attachment["id"]
    assert edited["embeds"][0]["image"]["url"] == f"attachment://timeline-{STORY.id}.png"
    assert [u.route for u in discord_api.uploads] == ["send_message", "edit_message"]
    assert discord_api.uploads[1].data != discord_api.uploads[0].data
