"""`/threadline status` and `show`'s picture on Discord: interactions dispatched
through the real command tree, the whole Threadline graph behind it (SQLite,
the shipped storylines, the matplotlib painter), answered at the fake's
interaction route (multipart with ``files[0]`` for the picture)."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from bot.app import Threadline
from bot.platforms.discord.commands import ThreadlineDiscordClient
from tests.platforms.discord.samples import MANAGE_GUILD, command_data, interaction
from tests.platforms.discord.test_commands import EPHEMERAL, gateway_client
from tests.support.fake_discord import FakeDiscord

# A guard, not a measure: drawing the picture is CPU work, slow on a loaded machine.
DRAWING = 120.0


async def dispatch(
    client: ThreadlineDiscordClient, discord_api: FakeDiscord, payload: dict[str, Any]
) -> list[dict[str, Any]]:
    """Feed an INTERACTION_CREATE to the client as the gateway does; the
    responses the fake received for it once the command completed."""
    completed = asyncio.ensure_future(client.wait_for("app_command_completion", timeout=DRAWING))
    client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    await completed
    return discord_api.interaction_responses[payload["id"]]


async def test_status_shows_feed_health_to_manage_server_only(
    discord_api: FakeDiscord, threadline: Threadline
) -> None:
    commands = threadline.commands
    async with gateway_client(discord_api, commands, defer_after=600) as client:  # type: ignore[arg-type]
        data = command_data("status")
        [admin] = await dispatch(client, discord_api, interaction(data, permissions=MANAGE_GUILD))
        [member] = await dispatch(client, discord_api, interaction(data))

    text = admin["data"]["content"]
    assert admin["data"]["flags"] == EPHEMERAL
    assert text.index("Flaky Wire") < text.index("Old Blog")
    assert "Feeds (3): 1 failing, 1 disabled, 1 ok" in text
    assert "Healthy News" not in text  # counted, not listed: where to find it is said
    # (markdown escaped: Discord shows the backticks as typed)
    assert "1 not listed here: \\`/threadline-admin feeds list\\` lists every feed" in text
    assert "HTTP 503 from failing.example" in text and "Outbox: 2 messages waiting" in text
    assert "1 to slack: ratelimited by slack; next try in 60 min" in text
    # Every storyline fits in Discord's 2,000 characters, after the admin's part.
    assert len(text) <= 2000 and not text.endswith("…")
    for storyline in threadline.storylines:
        assert f"{storyline.id} ({storyline.status})" in text
    plain = member["data"]["content"]
    assert "Designation:" in plain
    for admin_only in ("Flaky Wire", "failing.example", "HTTP 503", "Outbox"):
        assert admin_only not in plain


async def test_show_attaches_the_timeline_picture(
    discord_api: FakeDiscord, threadline: Threadline
) -> None:
    # Answered at once (however slow the machine): the deferred path is the next test.
    commands = threadline.commands
    async with gateway_client(discord_api, commands, defer_after=600) as client:  # type: ignore[arg-type]
        payload = interaction(command_data("show", storyline="dod-dispute"))
        [response] = await dispatch(client, discord_api, payload)

    assert response["type"] == 4 and response["data"]["flags"] == EPHEMERAL
    assert "Designation" in response["data"]["content"]
    assert response["_files"] == [
        {
            "field": "files[0]",
            "filename": "timeline-dod-dispute.png",
            "size": len(discord_api.uploads[0].data),
        }
    ]
    [upload] = discord_api.uploads
    assert upload.route == "interaction_callback"
    assert upload.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", upload.data[16:24]) == (1200, 200 + 120 * 4)
    [attachment] = response["data"]["attachments"]
    assert attachment["filename"] == "timeline-dod-dispute.png"


async def test_a_deferred_show_sends_the_picture_with_its_follow_up(
    discord_api: FakeDiscord, threadline: Threadline
) -> None:
    commands = threadline.commands
    async with gateway_client(discord_api, commands, defer_after=0) as client:  # type: ignore[arg-type]
        payload = interaction(command_data("show", storyline="dod-dispute"))
        [deferred] = await dispatch(client, discord_api, payload)

    assert deferred["type"] == 5
    [follow_up] = discord_api.calls_to("followup")
    assert "Designation" in follow_up.body["content"]
    assert [f["filename"] for f in follow_up.body["_files"]] == ["timeline-dod-dispute.png"]
    [upload] = discord_api.uploads
    assert upload.route == "followup" and upload.data.startswith(b"\x89PNG")
