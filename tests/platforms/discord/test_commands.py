"""/threadline interactions built from gateway payloads, dispatched through the
real command tree, answered at the fake's interaction routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.core.models import ChannelAddress, CommandReply, Invoker
from bot.platforms.discord.commands import NOT_IN_GUILD, ThreadlineDiscordClient
from tests.platforms.discord.samples import (
    CHANNEL,
    MANAGE_GUILD,
    SEND_MESSAGES,
    TOKEN,
    command_data,
    interaction,
)
from tests.support.fake_discord import GUILD_ID, FakeDiscord

EPHEMERAL = 64


class FakeCommandService:
    """Stands in for the command service (a port): records what it was asked
    and answers like it; ``gate`` holds the answer back (a slow ``feeds add``)."""

    def __init__(self, reply: CommandReply | None = None, gate: asyncio.Event | None = None):
        self.reply = reply or CommandReply("done")
        self.gate = gate
        self.calls: list[tuple[Invoker, str]] = []

    async def execute(self, invoker: Invoker, text: str) -> CommandReply:
        self.calls.append((invoker, text))
        if self.gate is not None:
            await self.gate.wait()
        if text.startswith("feeds") and not invoker.is_admin:
            return CommandReply("Only admins can manage feeds.", ok=False)
        return self.reply


@asynccontextmanager
async def gateway_client(
    discord_api: FakeDiscord, service: FakeCommandService, *, defer_after: float = 2.0
) -> AsyncIterator[ThreadlineDiscordClient]:
    client = ThreadlineDiscordClient(
        service, api_base=discord_api.api_base, defer_after=defer_after
    )
    async with client:
        await client.login(TOKEN)
        yield client


async def dispatch(
    client: ThreadlineDiscordClient, discord_api: FakeDiscord, payload: dict[str, Any]
) -> list[dict[str, Any]]:
    """Feed an INTERACTION_CREATE to the client as the gateway does; the
    responses the fake received for it."""
    # Completion is dispatched only when the command ran without an error.
    completed = asyncio.ensure_future(client.wait_for("app_command_completion", timeout=10))
    client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    await completed
    return discord_api.interaction_responses[payload["id"]]


async def test_login_syncs_one_guild_only_threadline_group(discord_api: FakeDiscord) -> None:
    async with gateway_client(discord_api, FakeCommandService()):
        [command] = discord_api.commands
    assert command["name"] == "threadline"
    assert command["dm_permission"] is False
    subcommands = {o["name"]: o for o in command["options"]}
    assert set(subcommands) == {"follow", "unfollow", "storylines", "show", "status", "feeds"}
    feeds = {o["name"]: o for o in subcommands["feeds"]["options"]}
    assert set(feeds) == {"list", "add", "remove"}
    assert [(o["name"], o["required"]) for o in feeds["add"]["options"]] == [
        ("url", True),
        ("name", False),
    ]


async def test_follow_reaches_the_service_and_is_answered_ephemerally(
    discord_api: FakeDiscord,
) -> None:
    service = FakeCommandService(CommandReply("Following dod-dispute here."))
    async with gateway_client(discord_api, service) as client:
        payload = interaction(command_data("follow", storyline="dod-dispute"))
        [response] = await dispatch(client, discord_api, payload)

    [(invoker, text)] = service.calls
    assert text == "follow dod-dispute"
    assert invoker == Invoker(
        user_id="1600000000000000001",
        channel=ChannelAddress("discord", CHANNEL, workspace=GUILD_ID),
        is_admin=False,
        user_name="ann",
    )
    assert response["type"] == 4
    assert response["data"]["content"] == "Following dod-dispute here."
    assert response["data"]["flags"] == EPHEMERAL
    assert response["data"]["allowed_mentions"] == {"parse": []}


async def test_feeds_add_without_manage_server_is_not_admin(discord_api: FakeDiscord) -> None:
    service = FakeCommandService()
    async with gateway_client(discord_api, service) as client:
        data = command_data("feeds", "add", url="https://feeds.test/rss", name="Test feed")
        [response] = await dispatch(client, discord_api, interaction(data))

    [(invoker, text)] = service.calls
    assert text == "feeds add https://feeds.test/rss Test feed"
    assert invoker.is_admin is False
    assert response["data"]["content"] == "Only admins can manage feeds."


async def test_manage_server_in_the_payload_permissions_makes_an_admin(
    discord_api: FakeDiscord,
) -> None:
    service = FakeCommandService(CommandReply("Feed added."))
    async with gateway_client(discord_api, service) as client:
        payload = interaction(
            command_data("feeds", "remove", feed="3"), permissions=SEND_MESSAGES | MANAGE_GUILD
        )
        [response] = await dispatch(client, discord_api, payload)

    [(invoker, text)] = service.calls
    assert (invoker.is_admin, text) == (True, "feeds remove 3")
    assert response["data"]["content"] == "Feed added."


async def test_a_command_outside_a_server_is_refused_before_the_service(
    discord_api: FakeDiscord,
) -> None:
    service = FakeCommandService()
    async with gateway_client(discord_api, service) as client:
        payload = interaction(command_data("feeds", "list"), in_guild=False)
        [response] = await dispatch(client, discord_api, payload)

    assert service.calls == []
    assert response["data"]["content"] == NOT_IN_GUILD
    assert response["data"]["flags"] == EPHEMERAL


async def test_a_slow_command_is_deferred_then_answered_by_follow_up(
    discord_api: FakeDiscord,
) -> None:
    gate = asyncio.Event()
    service = FakeCommandService(CommandReply("Feed added: Test feed (12 items)."), gate=gate)
    async with gateway_client(discord_api, service, defer_after=0.05) as client:
        data = command_data("feeds", "add", url="https://feeds.test/rss")
        payload = interaction(data, permissions=MANAGE_GUILD)
        completed = asyncio.ensure_future(client.wait_for("app_command_completion", timeout=10))
        client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        await discord_api.wait_for("interaction_callback")
        [deferred] = discord_api.interaction_responses[payload["id"]]
        assert deferred == {"type": 5, "data": {"flags": EPHEMERAL}}
        gate.set()  # the feed fetch finishes only after Discord got the deferral
        await completed
        [follow_up] = discord_api.calls_to("followup")

    assert follow_up.path.endswith(payload["token"])
    assert follow_up.body["content"] == "Feed added: Test feed (12 items)."
    assert follow_up.body["flags"] == EPHEMERAL
    assert follow_up.body["allowed_mentions"] == {"parse": []}


async def test_answers_are_escaped_and_never_ping(discord_api: FakeDiscord) -> None:
    hostile = "@everyone **Breaking** <@123456789012345678>"
    service = FakeCommandService(CommandReply(hostile))
    async with gateway_client(discord_api, service) as client:
        [response] = await dispatch(client, discord_api, interaction(command_data("storylines")))

    content = response["data"]["content"]
    assert "@everyone" not in content and "<@1" not in content
    assert "\\*\\*Breaking\\*\\*" in content
    assert response["data"]["allowed_mentions"] == {"parse": []}
