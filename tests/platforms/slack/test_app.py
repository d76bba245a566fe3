"""The /threadline slash command: signed requests dispatched through the Bolt
app, with the Web API (users.info, auth.test) and response_url on a fake Slack."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.command_text import read_command
from bot.core.commands import CommandReply, CommandRequest, Invoker
from bot.core.subscriptions import ChannelAddress
from bot.errors import ConfigError
from bot.platforms.slack.app import build_slack_app, run_http
from tests.platforms.slack.samples import TOKEN
from tests.support.command_service import command_service
from tests.support.fake_slack import FakeSlack
from tests.support.feedserver import rss

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@dataclass
class RecordingHandler:
    """A CommandHandler that records who asked what and answers with feed-like text."""

    answer: str = "done: <!channel> & <@U999> <http://evil.test|click>"
    calls: list[tuple[Invoker, CommandRequest]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    fail: bool = False

    async def execute(self, invoker: Invoker, text: str) -> CommandReply:
        return await self.run(invoker, read_command(text))

    async def run(self, invoker: Invoker, request: CommandRequest) -> CommandReply:
        self.calls.append((invoker, request))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("boom")
        return CommandReply(self.answer)

    def storyline_choices(self, typed: str, *, open_only: bool) -> list[tuple[str, str]]:
        return []


def command_body(slack: FakeSlack, user: str, text: str, **extra: str) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": slack.team_id,
            "team_domain": "fake",
            "channel_id": "C0123",
            "channel_name": "news",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/threadline",
            "text": text,
            "api_app_id": "A0001",
            "response_url": slack.response_url(),
            "trigger_id": "1.2.3",
            **extra,
        }
    )


def signed(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": f"v0={digest}",
    }


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


def make_app(
    client: AsyncWebClient,
    handler: RecordingHandler,
    admins: frozenset[str] = frozenset(),
    secret: str = SECRET,
) -> AsyncApp:
    return build_slack_app(
        token=TOKEN, signing_secret=secret, handler=handler, admins=admins, client=client
    )


async def dispatch(app: AsyncApp, body: str, headers: dict[str, str]) -> int:
    request = AsyncBoltRequest(body=body, headers=dict[str, str | Sequence[str]](headers))
    response = await app.async_dispatch(request)
    return response.status


async def test_a_non_admin_reaches_the_handler_as_a_non_admin(
    slack: FakeSlack, client: AsyncWebClient, handler: RecordingHandler
) -> None:
    slack.add_user("UPLAIN")
    app = make_app(client, handler)
    # Nothing a request says about itself makes its sender an admin.
    body = command_body(slack, "UPLAIN", "feeds add https://feeds.test/rss Name", is_admin="true")

    assert await dispatch(app, body, signed(body)) == 200
    await slack.wait_for_responses(1)

    [(invoker, request)] = handler.calls
    assert request == CommandRequest("feeds add", {"url": "https://feeds.test/rss", "name": "Name"})
    assert invoker == Invoker(
        user_id="UPLAIN",
        channel=ChannelAddress("slack", "C0123", workspace=slack.team_id),
        is_admin=False,
        user_name="uplain",
    )
    assert [c.args["user"] for c in slack.calls_of("users.info")] == ["UPLAIN"]


@pytest.mark.parametrize("role", ["is_admin", "is_owner", "is_primary_owner"])
async def test_a_workspace_admin_per_users_info_is_an_admin(
    slack: FakeSlack, client: AsyncWebClient, handler: RecordingHandler, role: str
) -> None:
    slack.add_user("UBOSS", **{role: True})
    app = make_app(client, handler)
    body = command_body(slack, "UBOSS", "feeds list")

    assert await dispatch(app, body, signed(body)) == 200
    await slack.wait_for_responses(1)

    assert handler.calls[0][0].is_admin is True


async def test_a_user_on_the_admins_list_is_an_admin(
    slack: FakeSlack, client: AsyncWebClient, handler: RecordingHandler
) -> None:
    slack.add_user("ULISTED")
    slack.add_user("UPREFIXED")
    app = make_app(client, handler, admins=frozenset({"ULISTED", "slack:UPREFIXED"}))

    for user in ("ULISTED", "UPREFIXED"):
        body = command_body(slack, user, "feeds list")
        assert await dispatch(app, body, signed(body)) == 200
    await slack.wait_for_responses(2)

    assert [(i.user_id, i.is_admin) for i, _ in handler.calls] == [
        ("ULISTED", True),
        ("UPREFIXED", True),
    ]


@pytest.mark.parametrize(
    ("user", "flags"),
    [
        ("UGUEST", {"is_admin": True, "is_restricted": True}),
        ("UOTHERORG", {"is_admin": True, "is_stranger": True}),
        ("UUNKNOWN", None),
    ],
)
async def test_guests_strangers_and_unknown_users_are_not_admins(
    slack: FakeSlack,
    client: AsyncWebClient,
    handler: RecordingHandler,
    user: str,
    flags: dict[str, bool] | None,
) -> None:
    if flags is not None:
        slack.add_user(user, **flags)
    app = make_app(client, handler)
    body = command_body(slack, user, "feeds list")

    assert await dispatch(app, body, signed(body)) == 200
    await slack.wait_for_responses(1)

    assert handler.calls[0][0].is_admin is False


async def test_the_answer_is_ephemeral_and_escaped(
    slack: FakeSlack, client: AsyncWebClient, handler: RecordingHandler
) -> None:
    slack.add_user("UPLAIN")
    app = make_app(client, handler)
    body = command_body(slack, "UPLAIN", "")

    assert await dispatch(app, body, signed(body)) == 200
    [answer] = await slack.wait_for_responses(1)

    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == (
        "done: &lt;!channel&gt; &amp; &lt;@U999&gt; &lt;http://evil.test|click&gt;"
    )
    assert handler.calls[0][1] == CommandRequest("help")


async def test_the_command_is_acknowledged_before_the_work_is_done(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slow = RecordingHandler(gate=asyncio.Event())
    slack.add_user("UPLAIN")
    app = make_app(client, slow)
    body = command_body(slack, "UPLAIN", "feeds add https://slow.test/rss")

    # The ack comes back while the handler is still blocked.
    assert await dispatch(app, body, signed(body)) == 200
    assert slack.responses == []

    assert slow.gate is not None
    slow.gate.set()
    [answer] = await slack.wait_for_responses(1)
    assert answer["text"].startswith("done:")


async def test_a_crashing_handler_still_answers(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_user("UPLAIN")
    app = make_app(client, RecordingHandler(fail=True))
    body = command_body(slack, "UPLAIN", "storylines")

    assert await dispatch(app, body, signed(body)) == 200
    [answer] = await slack.wait_for_responses(1)
    assert answer["text"].startswith("Sorry, that command failed")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"content-type": "application/x-www-form-urlencoded"}, id="unsigned"),
        pytest.param("wrong-secret", id="wrong-secret"),
        pytest.param("stale", id="replayed-after-5-minutes"),
        pytest.param("tampered", id="body-changed-after-signing"),
    ],
)
async def test_a_request_without_a_valid_signature_is_refused(
    slack: FakeSlack,
    client: AsyncWebClient,
    handler: RecordingHandler,
    headers: dict[str, str] | str,
) -> None:
    slack.add_user("UBOSS", is_admin=True)
    app = make_app(client, handler)
    body = command_body(slack, "UBOSS", "feeds add https://evil.test/rss")
    if headers == "wrong-secret":
        headers = signed(body, secret="not-the-secret")
    elif headers == "stale":
        headers = signed(body, timestamp=int(time.time()) - 600)
    elif headers == "tampered":
        headers = signed(body)
        body = body.replace("evil.test", "evil2.test")
    assert isinstance(headers, dict)

    assert await dispatch(app, body, headers) == 401

    assert handler.calls == []
    assert slack.calls == []


async def test_without_a_signing_secret_nothing_verifies_and_http_mode_refuses(
    slack: FakeSlack, client: AsyncWebClient, handler: RecordingHandler
) -> None:
    slack.add_user("UPLAIN")
    app = make_app(client, handler, secret="")
    body = command_body(slack, "UPLAIN", "storylines")

    assert await dispatch(app, body, signed(body, secret="")) == 401
    assert handler.calls == []
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        await run_http(app, 0, host="127.0.0.1")


async def test_http_mode_serves_signed_commands_over_the_wire(
    slack: FakeSlack, client: AsyncWebClient, handler: RecordingHandler
) -> None:
    slack.add_user("UPLAIN")
    app = make_app(client, handler)
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(run_http(app, 0, host="127.0.0.1", ready=ready))
    try:
        port = await asyncio.wait_for(ready, 5)
        url = f"http://127.0.0.1:{port}/slack/events"
        body = command_body(slack, "UPLAIN", "storylines")
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=body, headers=signed(body)) as response:
                assert response.status == 200
            unsigned = {"content-type": "application/x-www-form-urlencoded"}
            async with http.post(url, data=body, headers=unsigned) as response:
                assert response.status == 401
        [answer] = await slack.wait_for_responses(1)
        assert answer["text"].startswith("done:")
        assert len(handler.calls) == 1
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server


async def test_when_users_info_fails_the_user_is_not_an_admin(
    slack: FakeSlack, client: AsyncWebClient, handler: RecordingHandler
) -> None:
    slack.add_user("UBOSS", is_admin=True)
    slack.server_error("users.info", times=1, status=500)
    app = make_app(client, handler)
    body = command_body(slack, "UBOSS", "feeds remove 3")

    assert await dispatch(app, body, signed(body)) == 200
    await slack.wait_for_responses(1)

    assert handler.calls[0][0].is_admin is False


# --- the text form reads names as a person means them (issue 16, part 6) ---------------------


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("O'Reilly Radar", "O'Reilly Radar"),
        ('The "Verge"', 'The "Verge"'),
        ('"The Verge"', "The Verge"),  # quotes around the whole name are the person's quoting
        ("“Rock ’n’ Roll” weekly", "“Rock ’n’ Roll” weekly"),
        ("AT&amp;T &lt;news&gt;", "AT&T <news>"),  # Slack escapes & < > in command text
    ],
)
async def test_feeds_add_stores_the_name_as_the_admin_typed_it(
    slack: FakeSlack, client: AsyncWebClient, typed: str, name: str
) -> None:
    slack.add_user("UBOSS", is_admin=True)
    async with command_service() as (service, store, feeds):
        feeds.set("/feed.xml", rss([], title="Feed title"))
        app = build_slack_app(
            token=TOKEN, signing_secret=SECRET, handler=service, admins=frozenset(), client=client
        )
        body = command_body(slack, "UBOSS", f"feeds add {feeds.url('/feed.xml')} {typed}")
        assert await dispatch(app, body, signed(body)) == 200
        [answer] = await slack.wait_for_responses(1)
        assert answer["text"].startswith("Added feed #1"), answer["text"]
        assert [f.name for f in await store.feeds()] == [name]


async def test_the_audit_log_names_who_changed_feeds_and_follows_and_what_was_refused(
    slack: FakeSlack, client: AsyncWebClient, tmp_path: Path
) -> None:
    slack.add_user("UBOSS", is_admin=True)
    slack.add_user("UPLAIN")
    audit = tmp_path / "audit.jsonl"
    async with command_service(audit_log=audit) as (service, store, feeds):
        feeds.set("/feed.xml", rss([], title="Feed title"))
        app = build_slack_app(
            token=TOKEN, signing_secret=SECRET, handler=service, admins=frozenset(), client=client
        )
        # One after another, each answered before the next is typed: Bolt acks a
        # command before running it, so commands sent at once may finish in any order.
        for answered, (user, text) in enumerate(
            (
                ("UBOSS", f"feeds add {feeds.url('/feed.xml')} Court desk"),
                ("UPLAIN", "feeds remove 1"),
                ("UPLAIN", "follow dod-dispute"),
                ("UPLAIN", "storylines"),  # reads only: not audited
            ),
            start=1,
        ):
            body = command_body(slack, user, text)
            assert await dispatch(app, body, signed(body)) == 200
            await slack.wait_for_responses(answered)
        assert [f.name for f in await store.feeds()] == ["Court desk"]

    events = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(e["event"], e["command"], e["ok"]) for e in events] == [
        ("command.run", "feeds add", True),
        ("command.run", "feeds remove", False),
        ("command.run", "follow", True),
    ]
    assert [(e["by"]["id"], e["by"]["name"], e["by"]["admin"]) for e in events] == [
        ("UBOSS", "uboss", True),
        ("UPLAIN", "uplain", False),
        ("UPLAIN", "uplain", False),
    ]
    added, refused, _ = events
    assert added["options"] == {"url": feeds.url("/feed.xml"), "name": "Court desk"}
    assert added["answer"].startswith("Added feed #1 Court desk")
    assert "admins" in refused["answer"]
    assert {(e["by"]["platform"], e["channel"], e["workspace"]) for e in events} == {
        ("slack", "C0123", slack.team_id)
    }


async def test_an_unbalanced_quote_in_a_storyline_id_is_read_not_refused(
    slack: FakeSlack, client: AsyncWebClient, handler: RecordingHandler
) -> None:
    slack.add_user("UPLAIN")
    app = make_app(client, handler)
    body = command_body(slack, "UPLAIN", "show dod-dispute'")
    assert await dispatch(app, body, signed(body)) == 200
    await slack.wait_for_responses(1)
    assert handler.calls[0][1] == CommandRequest("show", {"storyline": "dod-dispute'"})


@pytest.mark.parametrize(
    ("channel", "channel_name"), [("D0DIRECT", "directmessage"), ("G0GROUP", "mpdm-ann--bob-1")]
)
async def test_follow_from_a_direct_message_is_refused_and_nothing_is_stored(
    slack: FakeSlack, client: AsyncWebClient, channel: str, channel_name: str
) -> None:
    slack.add_user("UPLAIN")
    async with command_service() as (service, store, _feeds):
        app = build_slack_app(
            token=TOKEN, signing_secret=SECRET, handler=service, admins=frozenset(), client=client
        )
        body = command_body(
            slack, "UPLAIN", "follow dod-dispute", channel_id=channel, channel_name=channel_name
        )
        assert await dispatch(app, body, signed(body)) == 200
        [answer] = await slack.wait_for_responses(1)
        assert "live in channels" in answer["text"]
        assert await store.subscriptions() == []
