"""The Discord gateway at the wire: the bot's real front end (discord.py's
``Client`` with the ``/threadline`` tree, as ``threadline run`` starts it when
DISCORD_TOKEN is set) against the local gateway double and REST double, through
a reconnect with interactions arriving before, during and after it."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.platforms.discord.samples import command_data, interaction
from tests.support.fake_discord import FakeDiscord, fake_discord
from tests.support.fake_discord_gateway import (
    HEARTBEAT,
    HEARTBEAT_ACK,
    IDENTIFY,
    RESUME,
    FakeDiscordGateway,
    fake_discord_gateway,
)
from tests.support.running_bot import running_bot

TOKEN = "discord-gateway-bot-token"
CHANNELS = ("1300000000000000011", "1300000000000000012", "1300000000000000013")


def follow_in(channel: str) -> dict[str, Any]:
    """``/threadline follow storyline:dod-dispute`` typed in ``channel``."""
    payload = interaction(command_data("follow", storyline="dod-dispute"))
    payload["channel_id"] = channel
    payload["channel"] = {**payload["channel"], "id": channel}
    return payload


def answer(api: FakeDiscord, payload: dict[str, Any]) -> str:
    """The one answer given to an interaction (in the callback, or in a follow-up
    after a deferred callback)."""
    [callback] = api.interaction_responses[payload["id"]]
    if callback["type"] == 4:
        return str(callback["data"]["content"])
    assert callback["type"] == 5
    followups = [c for c in api.calls_to("followup") if payload["token"] in c.path]
    [followup] = followups
    return str(followup.body["content"])


async def reconnect(gateway: FakeDiscordGateway, how: str) -> None:
    if how == "reconnect":
        await gateway.reconnect()
    else:
        await gateway.drop()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["reconnect", "drop"])
async def test_interactions_around_a_resume_are_answered_and_take_effect_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    async with fake_discord(token=TOKEN) as api, fake_discord_gateway(api) as gateway:
        for channel in CHANNELS:
            api.add_channel(channel)
        monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
        monkeypatch.setenv("THREADLINE_DISCORD_API_URL", api.api_base)
        before, during, after = (follow_in(c) for c in CHANNELS)
        async with running_bot(tmp_path):
            session = await gateway.wait_for_session()
            await gateway.request_heartbeat()  # Discord may ask for one at any time
            await gateway.wait_for_op(HEARTBEAT, 2)  # the one after HELLO, and this one
            await gateway.dispatch("INTERACTION_CREATE", before)
            await api.wait_for("interaction_callback", 1)
            await api.wait_for("start_thread", 1)

            gateway.hold_connections()
            await reconnect(gateway, how)
            await gateway.wait_for_attempts(2)  # the client is dialling again
            await gateway.dispatch("INTERACTION_CREATE", during)  # logged, not sent
            gateway.release_connections()
            await gateway.wait_for_session(resumed=1)
            await api.wait_for("interaction_callback", 2)

            await gateway.dispatch("INTERACTION_CREATE", after)
            await api.wait_for("interaction_callback", 3)
            await api.wait_for("start_thread", 3)

    first, second = gateway.connections
    # A resume, not a new session: RESUME with the session and the last sequence
    # it saw, on READY's resume_gateway_url; IDENTIFY only once.
    assert first.path == "/" and second.path == "/resume"
    assert [c.ops().count(IDENTIFY) for c in gateway.connections] == [1, 0]
    [resume] = [p["d"] for p in second.received if p["op"] == RESUME]
    assert resume["session_id"] == session.id and resume["token"] == TOKEN
    replayed = [p["s"] for p in second.sent if p.get("op") == 0 and p["s"] > resume["seq"]]
    assert replayed[0] == resume["seq"] + 1  # nothing skipped
    assert (first.query["v"], first.query["encoding"]) == ("10", "json")
    assert [p["op"] for p in first.sent].count(HEARTBEAT_ACK) >= 2
    for payload, connection in ((before, 1), (during, 2), (after, 2)):
        sent = gateway.sent_on("INTERACTION_CREATE", lambda d, p=payload: d["id"] == p["id"])
        assert sent == [connection]  # the one made during the reconnect was replayed
        assert "Following dod-dispute" in answer(api, payload)  # answered exactly once
    for channel in CHANNELS:
        [root] = api.messages(channel)  # each follow took effect once
        assert "Pentagon" in str(root["embeds"])


@pytest.mark.slow
async def test_an_expired_session_is_identified_anew_and_commands_work_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fake_discord(token=TOKEN) as api, fake_discord_gateway(api) as gateway:
        api.add_channel(CHANNELS[0])
        monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
        monkeypatch.setenv("THREADLINE_DISCORD_API_URL", api.api_base)
        payload = follow_in(CHANNELS[0])
        async with running_bot(tmp_path):
            first = await gateway.wait_for_session()
            gateway.expire_sessions()
            await gateway.drop()
            # discord.py waits 5 s before a second IDENTIFY (its identify pacing).
            second = await gateway.wait_for_session(count=2, timeout=30)
            await gateway.dispatch("INTERACTION_CREATE", payload)
            await api.wait_for("interaction_callback", 1)
            await api.wait_for("start_thread", 1)

    assert second.id != first.id
    _, refused, fresh = gateway.connections
    assert RESUME in refused.ops()
    assert {"op": 9, "d": False} in refused.sent
    # discord.py identifies again on the socket address it last used (READY's
    # resume_gateway_url), not on a fresh GET /gateway/bot; the double accepts both.
    assert fresh.ops().count(IDENTIFY) == 1
    assert "Following dod-dispute" in answer(api, payload)
    [root] = api.messages(CHANNELS[0])
    assert "Pentagon" in str(root["embeds"])


async def test_the_double_refuses_a_bad_token_and_an_unknown_session() -> None:
    """What the gateway does to a client that gets it wrong: 4004 for a bad
    IDENTIFY token, INVALID_SESSION (op 9, not resumable) for a RESUME of a
    session it never gave out; payloads zlib-stream compressed when asked."""
    async with fake_discord(token=TOKEN) as api, fake_discord_gateway(api) as gateway:
        url = f"{gateway.url}/?v=10&encoding=json&compress=zlib-stream"
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(url) as ws:
                inflate = zlib.decompressobj()
                hello = json.loads(inflate.decompress(await ws.receive_bytes()))
                assert hello == {"op": 10, "d": {"heartbeat_interval": 41_250}}
                await ws.send_json({"op": IDENTIFY, "d": {"token": "wrong", "intents": 1}})
                assert (await ws.receive()).type == aiohttp.WSMsgType.CLOSE
                assert ws.close_code == 4004
            async with http.ws_connect(f"{gateway.url}/resume?v=10&encoding=json") as ws:
                assert (await ws.receive_json())["op"] == 10
                resume = {"token": TOKEN, "session_id": "never-issued", "seq": 3}
                await ws.send_json({"op": RESUME, "d": resume})
                assert await ws.receive_json() == {"op": 9, "d": False}
