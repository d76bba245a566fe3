"""/threadline interactions built from gateway payloads, dispatched through the
real command tree, answered at the fake's interaction routes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config.storylines import load_storylines
from bot.core.command_text import read_command
from bot.core.commands import CommandReply, CommandRequest, Invoker
from bot.core.subscriptions import ChannelAddress
from bot.platforms.discord.commands import NOT_IN_GUILD, ThreadlineDiscordClient
from bot.ports import CommandHandler
from tests.conftest import REPO
from tests.platforms.discord.samples import (
    ADMIN_COMMAND,
    CHANNEL,
    MANAGE_GUILD,
    SEND_MESSAGES,
    TOKEN,
    admin_data,
    command_data,
    interaction,
)
from tests.support.command_service import command_service
from tests.support.fake_discord import GUILD_ID, FakeDiscord
from tests.support.feedserver import rss

EPHEMERAL = 64
AUTOCOMPLETE = 4
AUTOCOMPLETE_RESULT = 8


class FakeCommandService:
    """Stands in for the command service (a port): records what it was asked
    and answers like it; ``gate`` holds the answer back (a slow ``feeds add``)."""

    def __init__(self, reply: CommandReply | None = None, gate: asyncio.Event | None = None):
        self.reply = reply or CommandReply("done")
        self.gate = gate
        self.calls: list[tuple[Invoker, CommandRequest]] = []

    async def execute(self, invoker: Invoker, text: str) -> CommandReply:
        return await self.run(invoker, read_command(text))

    async def run(self, invoker: Invoker, request: CommandRequest) -> CommandReply:
        self.calls.append((invoker, request))
        if self.gate is not None:
            await self.gate.wait()
        if request.name.startswith("feeds") and not invoker.is_admin:
            return CommandReply("Only admins can manage feeds.", ok=False)
        return self.reply

    def storyline_choices(self, typed: str, *, open_only: bool) -> list[tuple[str, str]]:
        return []


@asynccontextmanager
async def gateway_client(
    discord_api: FakeDiscord, service: CommandHandler, *, defer_after: float = 2.0
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


async def autocomplete(
    client: ThreadlineDiscordClient, discord_api: FakeDiscord, payload: dict[str, Any]
) -> list[dict[str, Any]]:
    """Feed an autocomplete INTERACTION_CREATE to the client; the choices it
    answered with (a type 8 callback)."""
    answered = len(discord_api.calls_to("interaction_callback"))
    client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    await discord_api.wait_for("interaction_callback", answered + 1)
    [response] = discord_api.interaction_responses[payload["id"]]
    assert response["type"] == AUTOCOMPLETE_RESULT
    choices: list[dict[str, Any]] = response["data"]["choices"]
    return choices


async def test_login_syncs_a_member_group_and_an_admin_group(discord_api: FakeDiscord) -> None:
    async with gateway_client(discord_api, FakeCommandService()):
        commands = {c["name"]: c for c in discord_api.commands}
    assert set(commands) == {"threadline", ADMIN_COMMAND}
    member, admin = commands["threadline"], commands[ADMIN_COMMAND]
    assert member["dm_permission"] is False and admin["dm_permission"] is False
    # Every member sees /threadline; only Manage Server sees the admin group by default.
    assert member["default_member_permissions"] is None
    assert int(admin["default_member_permissions"]) == MANAGE_GUILD
    subcommands = {o["name"]: o for o in member["options"]}
    assert set(subcommands) == {"follow", "unfollow", "storylines", "show", "status"}
    for name in ("follow", "unfollow", "show"):
        storyline = subcommands[name]["options"][0]
        assert (storyline["name"], storyline["autocomplete"]) == ("storyline", True)
    # follow also takes the digest options, typed and optional
    assert [(o["name"], o["required"]) for o in subcommands["follow"]["options"]] == [
        ("storyline", True),
        ("digest", False),
        ("at", False),
        ("tz", False),
    ]
    assert not subcommands["status"].get("options")  # status takes nothing
    [feeds_group] = admin["options"]
    feeds = {o["name"]: o for o in feeds_group["options"]}
    assert (feeds_group["name"], set(feeds)) == ("feeds", {"list", "add", "remove"})
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

    [(invoker, request)] = service.calls
    assert request == CommandRequest("follow", {"storyline": "dod-dispute"})
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
        data = admin_data("feeds", "add", url="https://feeds.test/rss", name="Test feed")
        [response] = await dispatch(client, discord_api, interaction(data))

    [(invoker, request)] = service.calls
    assert request == CommandRequest(
        "feeds add", {"url": "https://feeds.test/rss", "name": "Test feed"}
    )
    assert invoker.is_admin is False
    assert response["data"]["content"] == "Only admins can manage feeds."


async def test_manage_server_in_the_payload_permissions_makes_an_admin(
    discord_api: FakeDiscord,
) -> None:
    service = FakeCommandService(CommandReply("Feed added."))
    async with gateway_client(discord_api, service) as client:
        payload = interaction(
            admin_data("feeds", "remove", feed="3"), permissions=SEND_MESSAGES | MANAGE_GUILD
        )
        [response] = await dispatch(client, discord_api, payload)

    [(invoker, request)] = service.calls
    assert (invoker.is_admin, request) == (True, CommandRequest("feeds remove", {"feed": "3"}))
    assert response["data"]["content"] == "Feed added."


async def test_a_command_outside_a_server_is_refused_before_the_service(
    discord_api: FakeDiscord,
) -> None:
    service = FakeCommandService()
    async with gateway_client(discord_api, service) as client:
        payload = interaction(admin_data("feeds", "list"), in_guild=False)
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
        data = admin_data("feeds", "add", url="https://feeds.test/rss")
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


# --- typed options reach the service as typed (issue 16, part 6) -----------------------------


async def test_feed_names_with_apostrophes_and_quotes_are_stored_as_typed(
    discord_api: FakeDiscord,
) -> None:
    async with command_service() as (service, store, feeds):
        feeds.set("/radar.xml", rss([], title="Radar"))
        feeds.set("/verge.xml", rss([], title="Verge"))
        async with gateway_client(discord_api, service) as client:
            for path, name in (("/radar.xml", "O'Reilly Radar"), ("/verge.xml", 'The "Verge"')):
                data = admin_data("feeds", "add", url=feeds.url(path), name=name)
                payload = interaction(data, permissions=MANAGE_GUILD)
                [response] = await dispatch(client, discord_api, payload)
                assert response["data"]["content"].startswith("Added feed"), response
        assert [f.name for f in await store.feeds()] == ["O'Reilly Radar", 'The "Verge"']


async def test_a_member_who_reaches_the_admin_group_is_still_refused(
    discord_api: FakeDiscord,
) -> None:
    # A server can grant the command to everyone; the server-side check stays.
    async with command_service() as (service, store, feeds):
        feeds.set("/radar.xml", rss([], title="Radar"))
        async with gateway_client(discord_api, service) as client:
            data = admin_data("feeds", "add", url=feeds.url("/radar.xml"), name="Radar")
            [response] = await dispatch(client, discord_api, interaction(data))
        assert "admins" in response["data"]["content"]
        assert await store.feeds() == [] and sum(feeds.hits.values()) == 0


async def test_the_audit_log_names_who_added_a_feed_and_who_was_refused(
    discord_api: FakeDiscord, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    async with command_service(audit_log=audit) as (service, store, feeds):
        feeds.set("/radar.xml", rss([], title="Radar"))
        async with gateway_client(discord_api, service) as client:
            data = admin_data("feeds", "add", url=feeds.url("/radar.xml"))
            await dispatch(client, discord_api, interaction(data, permissions=MANAGE_GUILD))
            data = admin_data("feeds", "remove", feed="1")
            await dispatch(client, discord_api, interaction(data, user_id="1600000000000000002"))
        assert [f.name for f in await store.feeds()] == ["Radar"]

    added, refused = (json.loads(line) for line in audit.read_text().splitlines())
    assert (added["command"], added["ok"], added["options"]) == (
        "feeds add",
        True,
        {"url": feeds.url("/radar.xml")},
    )
    assert added["by"] == {
        "platform": "discord",
        "id": "1600000000000000001",
        "name": "ann",
        "admin": True,
    }
    assert (refused["command"], refused["ok"], refused["by"]["id"]) == (
        "feeds remove",
        False,
        "1600000000000000002",
    )
    assert not refused["by"]["admin"] and "admins" in refused["answer"]
    assert (added["channel"], added["workspace"]) == (CHANNEL, GUILD_ID)


async def test_storyline_ids_autocomplete_from_what_was_typed(discord_api: FakeDiscord) -> None:
    async with (
        command_service() as (service, _store, _feeds),
        gateway_client(discord_api, service) as client,
    ):
        data = command_data("follow", focused="storyline", storyline="DOD")
        choices = await autocomplete(client, discord_api, interaction(data, kind=AUTOCOMPLETE))
    assert [c["value"] for c in choices] == ["dod-dispute"]
    assert choices[0]["name"].startswith("dod-dispute — ")


async def test_follow_autocompletes_open_storylines_only_and_at_most_25(
    discord_api: FakeDiscord,
) -> None:
    [base, *_] = load_storylines(REPO / "storylines")
    many = [replace(base, id=f"story-{i:02}") for i in range(30)]
    closed = replace(base, id="story-closed", status="closed")
    async with (
        command_service([*many, closed]) as (service, _store, _feeds),
        gateway_client(discord_api, service) as client,
    ):
        follow = command_data("follow", focused="storyline", storyline="story")
        offered = await autocomplete(client, discord_api, interaction(follow, kind=AUTOCOMPLETE))
        show = command_data("show", focused="storyline", storyline="closed")
        shown = await autocomplete(client, discord_api, interaction(show, kind=AUTOCOMPLETE))
    values = [c["value"] for c in offered]
    assert len(values) == 25 and "story-closed" not in values
    assert values == sorted(values)
    assert [c["value"] for c in shown] == ["story-closed"]  # a closed one can still be shown
