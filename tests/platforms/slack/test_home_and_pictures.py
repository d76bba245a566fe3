"""The App Home tab, `/threadline status` and `show`'s picture on Slack: signed
requests and events dispatched through the Bolt app, the whole Threadline graph
behind it (SQLite, the shipped storylines, the matplotlib painter), and the Web
API calls (users.info, views.publish, the external file upload) on a fake Slack."""

from __future__ import annotations

import json
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Threadline
from bot.core.backlog import OutboxBacklog
from bot.core.posts import MessageRef
from bot.core.status import FactState, FeedHealth, StatusReport, StorylineState
from bot.core.subscriptions import ChannelAddress
from bot.platforms.slack.app import build_slack_app
from bot.platforms.slack.home import home_view
from tests.platforms.slack.samples import TOKEN
from tests.platforms.slack.test_app import SECRET, command_body, dispatch, signed
from tests.support.clock import FakeClock
from tests.support.fake_slack import VIEW_BLOCKS_LIMIT, FakeSlack, check_blocks
from tests.support.fake_socket_mode import FakeSocketMode, fake_socket_mode

NOW = FakeClock().now()
# A guard, not a measure: drawing the picture is CPU work, slow on a loaded machine.
DRAWING = 120.0


@pytest.fixture
def bolt(client: AsyncWebClient, threadline: Threadline) -> AsyncApp:
    return build_slack_app(
        token=TOKEN,
        signing_secret=SECRET,
        handler=threadline.commands,
        admins=frozenset(),
        client=client,
        status=threadline.status,
    )


def home_event(slack: FakeSlack, user: str, tab: str = "home") -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": slack.team_id,
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": f"Ev{user}",
            "event_time": int(time.time()),
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": "D0HOME",
                "tab": tab,
                "event_ts": f"{time.time():.6f}",
            },
        }
    )


def signed_json(body: str) -> dict[str, str]:
    return {**signed(body), "content-type": "application/json"}


def home_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"])


async def test_an_admin_opening_the_home_tab_sees_feed_health_outbox_and_storylines(
    slack: FakeSlack, bolt: AsyncApp
) -> None:
    slack.add_user("UADMIN", is_admin=True)
    body = home_event(slack, "UADMIN")

    assert await dispatch(bolt, body, signed_json(body)) == 200

    [publish] = await slack.wait_for_calls("views.publish", timeout=DRAWING)
    assert publish.args["user_id"] == "UADMIN"
    view = slack.home_views["UADMIN"]
    assert view["type"] == "home"
    text = home_text(view)
    # Feeds by health, failing first, each with its why.
    assert text.index("Flaky Wire") < text.index("Old Blog") < text.index("Healthy News")
    assert "failing (3 failures in a row)" in text
    assert "last error: HTTP 503 from failing.example" in text
    assert "disabled (gone)" in text and "HTTP 410 Gone" in text
    assert "reader:***@failing.example" in text and "SECRET" not in text
    [outbox] = [b["text"]["text"] for b in view["blocks"] if "*Outbox*" in json.dumps(b)]
    assert outbox.splitlines() == [
        "*Outbox*: 2 messages waiting (oldest queued 2026-06-12 09:00 UTC, 3 h 0 min ago), "
        "1 due now.",
        # Why they wait: one due, not tried yet; one retrying after an error.
        "• 1 to slack: not tried yet; due now",
        "• 1 to slack: ratelimited by slack; next try in 60 min",
    ]
    assert "Designation" in text and "fable-suspension" in text


async def test_a_member_opening_the_home_tab_sees_only_the_storyline_states(
    slack: FakeSlack, bolt: AsyncApp
) -> None:
    slack.add_user("UPLAIN")
    body = home_event(slack, "UPLAIN")

    assert await dispatch(bolt, body, signed_json(body)) == 200
    await slack.wait_for_calls("views.publish", timeout=DRAWING)

    text = home_text(slack.home_views["UPLAIN"])
    assert "Designation" in text and "dod-dispute" in text
    for admin_only in ("Flaky Wire", "failing.example", "HTTP 503", "Outbox"):
        assert admin_only not in text
    assert "admins only" in text


async def test_an_unsigned_home_event_publishes_nothing(slack: FakeSlack, bolt: AsyncApp) -> None:
    slack.add_user("UADMIN", is_admin=True)
    body = home_event(slack, "UADMIN")

    assert await dispatch(bolt, body, signed_json(body + " ")) == 401
    assert slack.calls_of("views.publish") == []


async def test_status_as_a_slash_command_keeps_feed_details_for_admins(
    slack: FakeSlack, bolt: AsyncApp
) -> None:
    slack.add_user("UADMIN", is_owner=True)
    slack.add_user("UPLAIN")
    for count, user in enumerate(("UADMIN", "UPLAIN"), start=1):
        body = command_body(slack, user, "status")
        assert await dispatch(bolt, body, signed(body)) == 200
        await slack.wait_for_responses(count, timeout=DRAWING)
    admin, plain = slack.responses

    assert "Flaky Wire — failing" in admin["text"]
    assert "Outbox: 2 messages waiting" in admin["text"]
    assert "1 to slack: ratelimited by slack; next try in 60 min" in admin["text"]
    assert "1 not listed here: `/threadline feeds list` lists every feed" in admin["text"]
    assert admin["response_type"] == "ephemeral"
    assert "Flaky Wire" not in plain["text"] and "HTTP 503" not in plain["text"]
    assert "Designation:" in plain["text"] and "admins only" in plain["text"]


@pytest.fixture
async def socket(slack: FakeSlack) -> AsyncIterator[FakeSocketMode]:
    async with fake_socket_mode(slack) as double:
        yield double


async def home_over_socket_mode(
    app: AsyncApp, socket: FakeSocketMode, opened: list[tuple[str, str]]
) -> list[str]:
    """Send ``app_home_opened`` (user, tab) envelopes to ``app`` over Socket
    Mode (slack_bolt's handler, as ``threadline run`` starts it); their ids."""
    handler = AsyncSocketModeHandler(app, socket.app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        envelopes = [
            await socket.event(
                {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab}
            )
            for user, tab in opened
        ]
        for envelope in envelopes:
            await socket.wait_for_ack(envelope)
        return envelopes
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def test_over_socket_mode_every_home_event_is_acked_once_and_the_home_tab_published(
    slack: FakeSlack, socket: FakeSocketMode, bolt: AsyncApp
) -> None:
    slack.add_user("UADMIN", is_admin=True)
    slack.add_user("UPLAIN")
    # Slack sends app_home_opened for the Messages tab too (tab "messages").
    opened = [("UADMIN", "home"), ("UPLAIN", "messages")]

    envelopes = await home_over_socket_mode(bolt, socket, opened)

    for envelope in envelopes:
        [ack] = socket.acks_for(envelope)
        assert ack.payload is None
    assert socket.unacked() == [] and socket.stray == []
    [publish] = await slack.wait_for_calls("views.publish", timeout=DRAWING)
    assert publish.args["user_id"] == "UADMIN" and "UPLAIN" not in slack.home_views


async def test_without_a_status_page_the_home_event_is_still_acked(
    slack: FakeSlack, socket: FakeSocketMode, client: AsyncWebClient, threadline: Threadline
) -> None:
    # The manifest subscribes to app_home_opened whatever the app was built
    # with; an event Bolt has no listener for is never acknowledged, and Slack
    # sends an unacknowledged envelope again.
    app = build_slack_app(
        token=TOKEN,
        signing_secret=SECRET,
        handler=threadline.commands,
        admins=frozenset(),
        client=client,
    )
    slack.add_user("UPLAIN")

    [envelope] = await home_over_socket_mode(app, socket, [("UPLAIN", "home")])

    assert len(socket.acks_for(envelope)) == 1
    assert slack.calls_of("views.publish") == []


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_show_uploads_the_picture_into_the_storylines_thread(
    slack: FakeSlack, bolt: AsyncApp, threadline: Threadline
) -> None:
    slack.add_user("UPLAIN")
    # The channel follows dod-dispute and its thread exists.
    sub, _ = await threadline.store.follow(ChannelAddress("slack", "C0123"), "dod-dispute", NOW)
    root = await slack_root(slack, "C0123")
    await threadline.store.set_root(sub.id, MessageRef(root, root))
    body = command_body(slack, "UPLAIN", "show dod-dispute")

    assert await dispatch(bolt, body, signed(body)) == 200
    [answer] = await slack.wait_for_responses(1, timeout=DRAWING)

    assert "Designation" in answer["text"]
    await slack.wait_for_calls("files.completeUploadExternal", timeout=DRAWING)
    methods = [c.method for c in slack.calls if c.method.startswith(("files.", "upload"))]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    [picture] = slack.shared_files("C0123")
    assert picture.filename == "timeline-dod-dispute.png" and picture.thread_ts == root
    assert picture.data is not None and png_size(picture.data) == (1200, 200 + 120 * 4)
    shared = [m for m in slack.messages("C0123") if m.get("files")]
    assert shared[0]["thread_ts"] == root


async def test_show_where_the_bot_is_not_a_member_says_how_to_fix_it(
    slack: FakeSlack, bolt: AsyncApp
) -> None:
    slack.add_user("UPLAIN")
    slack.fail("C0123", "not_in_channel")
    body = command_body(slack, "UPLAIN", "show dod-dispute")

    assert await dispatch(bolt, body, signed(body)) == 200
    answer, problem = await slack.wait_for_responses(2, timeout=DRAWING)

    assert "Designation" in answer["text"]
    assert "invite Threadline to this channel" in problem["text"]


async def slack_root(slack: FakeSlack, channel: str) -> str:
    client = AsyncWebClient(token=TOKEN, base_url=slack.url)
    response = await client.chat_postMessage(channel=channel, text="root card")
    return str(response["ts"])


def test_a_home_with_hundreds_of_feeds_and_storylines_stays_within_slacks_limits() -> None:
    feeds = tuple(
        FeedHealth(i, f"Feed {i}", f"https://f{i}.example/rss", "failing" if i % 3 else "ok")
        for i in range(300)
    )
    storylines = tuple(
        StorylineState(f"s{i}", f"Story {i}", "open", (FactState("Status", "on"),))
        for i in range(150)
    )
    view = home_view(
        StatusReport(NOW, True, storylines, feeds, OutboxBacklog(NOW, 0, 0, 0, 0, None, ()))
    )

    assert check_blocks(view["blocks"], VIEW_BLOCKS_LIMIT) is None
    assert "more: `/threadline feeds list`" in json.dumps(view["blocks"])
    assert "more storylines" in json.dumps(view["blocks"])
