"""SlackPlatform through the real AsyncWebClient against a local fake Slack."""

from __future__ import annotations

import pytest

from bot.core.posts import MessageRef
from bot.errors import ChannelUnavailable, DeliveryError
from bot.platforms.slack.platform import SlackPlatform, make_client
from tests.platforms.slack.samples import TOKEN, card, coverage, fact, fact_change
from tests.support.fake_slack import FakeSlack, fake_slack


def block_texts(message: dict[str, object]) -> str:
    out = []
    for block in message["blocks"]:  # type: ignore[attr-defined]
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(e["text"] for e in block.get("elements", []))
    return "\n".join(out)


async def test_root_then_replies_form_one_thread(slack: FakeSlack, platform: SlackPlatform) -> None:
    root = await platform.post_root("C1", card(), idempotency_key="tl-root-1")
    first = await platform.post_reply("C1", root, coverage(), idempotency_key="tl-2")
    second = await platform.post_reply("C1", root, fact_change(), idempotency_key="tl-3")

    assert root.message_id == root.thread_id
    assert first.thread_id == second.thread_id == root.message_id
    posted = slack.messages("C1")
    assert [m["ts"] for m in posted] == [root.message_id, first.message_id, second.message_id]
    assert "thread_ts" not in posted[0]["args"]
    assert [m["thread_ts"] for m in posted[1:]] == [root.message_id] * 2
    assert posted[0]["reply_count"] == 2
    assert [m["metadata"] for m in posted] == [
        {"event_type": "threadline_post", "event_payload": {"outbox_id": key}}
        for key in ("tl-root-1", "tl-2", "tl-3")
    ]
    assert "Fable 5 suspension" in posted[0]["blocks"][0]["text"]["text"]
    assert "*Access*: suspended — since 2026-03-02 (Reuters)" in block_texts(posted[0])
    assert "<https://news.test/a?x=1&amp;y=2|Anthropic disables Fable 5>" in block_texts(posted[1])
    assert "was available — Anthropic, 2026-02-01 → now suspended" in block_texts(posted[2])
    # No link previews, no @-name linking for anything we post.
    assert all(m["args"]["unfurl_links"] is False for m in posted)
    assert all(m["args"]["link_names"] is False for m in posted)


async def test_edit_root_changes_the_card_in_place(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    root = await platform.post_root("C1", card(), idempotency_key="tl-root-1")
    await platform.post_reply("C1", root, coverage(), idempotency_key="tl-2")

    restored = card(facts=(fact(value="restored", since="2026-04-01", source="Anthropic"),))
    await platform.edit_root("C1", root, restored)

    posted = slack.messages("C1")
    assert len(posted) == 2
    assert posted[0]["ts"] == root.message_id
    assert "*Access*: restored — since 2026-04-01 (Anthropic)" in block_texts(posted[0])
    assert "suspended" not in block_texts(posted[0])
    assert [c.args["ts"] for c in slack.calls_of("chat.update")] == [root.message_id]


async def test_editing_a_deleted_root_says_the_thread_is_gone(platform: SlackPlatform) -> None:
    with pytest.raises(DeliveryError) as caught:
        await platform.edit_root("C1", MessageRef("1.000001", "1.000001"), card())
    assert caught.value.code == "thread_gone"
    assert not isinstance(caught.value, ChannelUnavailable)


async def test_429_is_waited_out_as_retry_after_says(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)

    root = await platform.post_root("C1", card(), idempotency_key="tl-root-1")

    attempts = slack.calls_of("chat.postMessage")
    assert [a.status for a in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0
    assert [m["ts"] for m in slack.messages("C1")] == [root.message_id]


async def test_a_long_429_is_handed_to_the_outbox_not_slept_through(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=30)

    with pytest.raises(DeliveryError) as caught:
        await platform.post_root("C1", card(), idempotency_key="tl-root-1")

    assert caught.value.retry_after == 30.0
    assert not isinstance(caught.value, ChannelUnavailable)
    assert len(slack.calls_of("chat.postMessage")) == 1
    assert slack.messages("C1") == []


async def test_429_after_the_last_retry_carries_retry_after(slack: FakeSlack) -> None:
    platform = SlackPlatform(make_client(TOKEN, slack.url, max_retries=1))
    slack.rate_limit("chat.postMessage", times=2, retry_after=1)

    with pytest.raises(DeliveryError) as caught:
        await platform.post_root("C1", card(), idempotency_key="tl-root-1")

    assert caught.value.code == "ratelimited"
    assert caught.value.retry_after == 1.0
    assert not isinstance(caught.value, ChannelUnavailable)
    assert len(slack.calls_of("chat.postMessage")) == 2


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
async def test_a_channel_that_is_gone_or_forbidden_is_a_permanent_error(
    slack: FakeSlack, platform: SlackPlatform, error: str
) -> None:
    ok_root = await platform.post_root("C_OK", card(), idempotency_key="tl-root-1")
    gone_root = MessageRef("1.000009", "1.000009")
    slack.fail("C_GONE", error)

    for attempt in (
        platform.post_root("C_GONE", card(), idempotency_key="tl-root-2"),
        platform.post_reply("C_GONE", gone_root, coverage(), idempotency_key="tl-3"),
        platform.edit_root("C_GONE", gone_root, card()),
    ):
        with pytest.raises(DeliveryError) as caught:
            await attempt
        assert isinstance(caught.value, ChannelUnavailable)
        assert caught.value.code == error

    # Other channels go on.
    await platform.post_reply("C_OK", ok_root, coverage(), idempotency_key="tl-4")
    assert len(slack.messages("C_OK")) == 2


async def test_a_revoked_token_is_permanent(slack: FakeSlack) -> None:
    platform = SlackPlatform(make_client("xoxb-revoked", slack.url))
    with pytest.raises(DeliveryError) as caught:
        await platform.post_root("C1", card(), idempotency_key="tl-root-1")
    assert isinstance(caught.value, ChannelUnavailable)
    assert caught.value.code == "invalid_auth"
    assert "xoxb-revoked" not in str(caught.value)


async def test_a_server_error_is_transient(slack: FakeSlack, platform: SlackPlatform) -> None:
    slack.server_error("chat.postMessage", times=1, status=500)
    with pytest.raises(DeliveryError) as caught:
        await platform.post_root("C1", card(), idempotency_key="tl-root-1")
    assert not isinstance(caught.value, ChannelUnavailable)
    assert caught.value.code == "server_error"
    # The next attempt goes through.
    await platform.post_root("C1", card(), idempotency_key="tl-root-1")
    assert len(slack.messages("C1")) == 1


async def test_slack_unreachable_is_transient() -> None:
    async with fake_slack(token=TOKEN) as gone:
        url = gone.url
    platform = SlackPlatform(make_client(TOKEN, url))
    with pytest.raises(DeliveryError) as caught:
        await platform.post_root("C1", card(), idempotency_key="tl-root-1")
    assert not isinstance(caught.value, ChannelUnavailable)
    assert caught.value.code == "network"


async def test_find_sent_finds_posts_after_a_crash(slack: FakeSlack) -> None:
    before_crash = SlackPlatform(make_client(TOKEN, slack.url))
    root = await before_crash.post_root("C1", card(), idempotency_key="tl-root-7-1")
    await before_crash.post_reply("C1", root, coverage(), idempotency_key="tl-2")
    reply = await before_crash.post_reply("C1", root, fact_change(), idempotency_key="tl-3")
    other = await before_crash.post_root("C1", card("Other"), idempotency_key="tl-root-8-4")

    after_crash = SlackPlatform(make_client(TOKEN, slack.url))

    assert await after_crash.find_sent("C1", "tl-root-7-1") == root
    assert await after_crash.find_sent("C1", "tl-root-8-4") == other
    assert await after_crash.find_sent("C1", "tl-3") == reply
    assert await after_crash.find_sent("C1", "tl-3", thread=root) == reply
    assert await after_crash.find_sent("C1", "tl-99") is None
    assert await after_crash.find_sent("C_EMPTY", "tl-3") is None
    assert all(c.args["include_all_metadata"] in ("1", "true") for c in slack.calls[4:])


async def test_find_sent_reads_every_page_of_a_long_thread(slack: FakeSlack) -> None:
    platform = SlackPlatform(make_client(TOKEN, slack.url))
    root = await platform.post_root("C1", card(), idempotency_key="tl-root-1")
    for n in range(2, 252):
        last = await platform.post_reply("C1", root, coverage(), idempotency_key=f"tl-{n}")

    assert await platform.find_sent("C1", "tl-251") == last
    assert len(slack.calls_of("conversations.replies")) == 2


async def test_a_failing_find_sent_is_a_delivery_error(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    slack.fail("C1", "not_in_channel")
    with pytest.raises(DeliveryError) as caught:
        await platform.find_sent("C1", "tl-1")
    assert isinstance(caught.value, ChannelUnavailable)


async def test_a_made_headline_is_posted_in_italics_and_said_to_be_made(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    root = await platform.post_root("C1", card(), idempotency_key="tl-root-1")
    made = coverage("A federal judge on Thursday blocked the…", title_made=True)
    await platform.post_reply("C1", root, made, idempotency_key="tl-2")
    await platform.post_reply("C1", root, coverage(), idempotency_key="tl-3")

    made_text, own_text = (block_texts(m) for m in slack.messages("C1")[1:])
    assert made_text.startswith(
        "_<https://news.test/a?x=1&amp;y=2|A federal judge on Thursday blocked the…>_"
        " (no headline in the feed)"
    )
    assert own_text.startswith("*<https://news.test/a?x=1&amp;y=2|Anthropic disables Fable 5>*")
