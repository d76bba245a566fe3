"""Socket Mode at the wire: the bot's real front end (slack_bolt's
AsyncSocketModeHandler on slack_sdk's aiohttp client, as ``threadline run`` starts
it when SLACK_APP_TOKEN is set) against the local Socket Mode double, through
reconnects with commands arriving before, during and after them; and the running
bot's stop during a delivery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.fake_slack import fake_slack
from tests.support.fake_socket_mode import FakeSocketMode, fake_socket_mode
from tests.support.running_bot import running_bot

BOT = "xoxb-socket-mode-bot"


async def reconnect(socket: FakeSocketMode, how: str) -> None:
    if how == "drop":
        await socket.drop()
    else:
        await socket.disconnect(how)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["refresh_requested", "warning", "drop"])
async def test_follows_around_a_reconnect_are_acked_and_take_effect_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    async with fake_slack(token=BOT) as slack, fake_socket_mode(slack) as socket:
        slack.add_user("UMEMBER")
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
        monkeypatch.setenv("SLACK_APP_TOKEN", socket.app_token)
        monkeypatch.setenv("THREADLINE_SLACK_API_URL", slack.url)
        async with running_bot(tmp_path):
            await socket.wait_for_connections(1)
            before = await socket.slash_command("follow dod-dispute", channel_id="C1")
            await socket.wait_for_ack(before)
            await slack.wait_for_messages("C1", 1)

            socket.hold_connections()
            await reconnect(socket, how)
            await socket.wait_for_attempts(2)  # the client has opened its next socket
            during = await socket.slash_command("follow dod-dispute", channel_id="C2")
            assert socket.delivered_on(during) == []  # queued: no connection is live
            socket.release_connections()
            await socket.wait_for_ack(during)

            after = await socket.slash_command("follow dod-dispute", channel_id="C3")
            await socket.wait_for_ack(after)
            answers = await slack.wait_for_responses(3)
            roots = [(await slack.wait_for_messages(c, 1)) for c in ("C1", "C2", "C3")]

    # One reconnect, with a fresh URL (a ticket opens one socket only).
    assert len(slack.calls_of("apps.connections.open")) == 2
    assert [c.number for c in socket.connections] == [1, 2]
    for envelope, connection in ((before, 1), (during, 2), (after, 2)):
        assert socket.delivered_on(envelope) == [connection]
        [ack] = socket.acks_for(envelope)  # acked exactly once
        assert ack.payload is None  # the answer goes to response_url, not the ack
    assert socket.stray == []
    assert sorted(a["_name"] for a in answers) == sorted([before, during, after])
    assert all("Following dod-dispute" in a["text"] for a in answers)
    for messages in roots:
        [root] = messages  # each follow took effect once: one root card per channel
        assert "Pentagon" in str(root["blocks"])


async def test_the_double_speaks_socket_mode_to_slack_sdk(slack_pair: Any) -> None:
    """Envelopes of all three kinds reach a plain Bolt app through slack_sdk's
    client, and their acks (one with a response payload) come back."""
    slack, socket = slack_pair
    app = AsyncApp(client=AsyncWebClient(token=BOT, base_url=slack.url), signing_secret="x")
    seen: list[str] = []

    async def echo(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(f"echo {command['text']}")

    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.chat_postMessage(channel=event["channel"], text="home")

    async def refresh(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        seen.append(body["actions"][0]["action_id"])

    app.command("/echo")(echo)
    app.event("app_home_opened")(home)
    app.action("refresh")(refresh)
    handler = AsyncSocketModeHandler(app, socket.app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        command = await socket.slash_command("hi", command="/echo")
        event = await socket.event(
            {"type": "app_home_opened", "user": "UMEMBER", "channel": "D1", "tab": "home"}
        )
        action = await socket.interactive(
            {
                "type": "block_actions",
                "user": {"id": "UMEMBER"},
                "trigger_id": "1.2",
                "actions": [{"action_id": "refresh", "block_id": "b", "type": "button"}],
            }
        )
        assert (await socket.wait_for_ack(command)).payload == {"text": "echo hi"}
        assert (await socket.wait_for_ack(event)).payload is None
        assert (await socket.wait_for_ack(action)).payload is None
        await slack.wait_for_messages("D1", 1)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
    assert seen == ["refresh"]
    hello = socket.connections[0].sent[0]
    assert hello["type"] == "hello" and hello["connection_info"]["app_id"]


async def test_only_the_app_token_opens_a_connection_and_a_url_works_once(
    slack_pair: Any,
) -> None:
    slack, socket = slack_pair
    with pytest.raises(SlackApiError) as refused:
        await AsyncWebClient(token=BOT, base_url=slack.url).apps_connections_open(app_token=BOT)
    assert refused.value.response["error"] == "not_allowed_token_type"
    opened = await AsyncWebClient(base_url=slack.url).apps_connections_open(
        app_token=socket.app_token
    )
    url = str(opened["url"])
    assert url.startswith("ws://127.0.0.1:")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url) as ws:
            assert (await ws.receive_json())["type"] == "hello"
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(url)


@pytest.fixture
async def slack_pair() -> Any:
    async with fake_slack(token=BOT) as slack, fake_socket_mode(slack) as socket:
        yield slack, socket


@pytest.mark.slow
async def test_a_stop_asked_while_a_delivery_is_in_flight_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM while the delivery loop waits for Slack: the send in flight is let
    finish, then the bot stops, without waiting for the periodic delivery tick
    (made to never come here). ``running_bot`` fails when the bot does not stop."""
    monkeypatch.setattr("bot.entry.schedule.DELIVERY_EVERY", 3600)
    async with fake_slack(token=BOT) as slack, fake_socket_mode(slack) as socket:
        slack.add_user("UMEMBER")
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
        monkeypatch.setenv("SLACK_APP_TOKEN", socket.app_token)
        monkeypatch.setenv("THREADLINE_SLACK_API_URL", slack.url)
        async with running_bot(tmp_path) as bot:
            await socket.wait_for_connections(1)
            slack.stall("chat.postMessage")  # the root card's send hangs
            await socket.slash_command("follow dod-dispute", channel_id="C1")
            await slack.stalled.wait()
            bot.scheduler.stop()  # as SIGTERM does, mid-send
            slack.release()
        [root] = slack.messages("C1")  # the send in flight was finished, once
        assert "Pentagon" in str(root["blocks"])
