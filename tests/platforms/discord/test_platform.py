"""DiscordPlatform through discord.py's real HTTP client against the local fake."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.core.posts import MessageRef
from bot.errors import ChannelUnavailable, DeliveryError
from bot.platforms.discord.platform import DiscordPlatform, nonce_for
from tests.platforms.discord.samples import CHANNEL, TOKEN, card, coverage, fact, fact_change
from tests.support.fake_discord import BOT_USER_ID, FakeDiscord


async def test_login_checks_the_token_at_the_fake(discord_api: FakeDiscord) -> None:
    platform = await DiscordPlatform.login(TOKEN, api_base=discord_api.api_base)
    await platform.close()
    assert platform.bot_user_id == BOT_USER_ID
    assert [c.status for c in discord_api.calls_to("me")] == [200]


async def test_a_rejected_token_is_a_permanent_invalid_auth(discord_api: FakeDiscord) -> None:
    with pytest.raises(DeliveryError) as caught:
        await DiscordPlatform.login("wrong", api_base=discord_api.api_base)
    assert isinstance(caught.value, ChannelUnavailable) and caught.value.code == "invalid_auth"


async def test_root_opens_a_thread_and_replies_land_in_it(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    root = await platform.post_root(CHANNEL, card(), idempotency_key="outbox-1")
    first = await platform.post_reply(CHANNEL, root, coverage(), idempotency_key="outbox-2")
    second = await platform.post_reply(CHANNEL, root, fact_change(), idempotency_key="outbox-3")

    [posted] = discord_api.messages(CHANNEL)
    assert root == MessageRef(message_id=posted["id"], thread_id=posted["thread"]["id"])
    assert posted["embeds"][0]["title"] == "Fable 5 suspension"
    assert discord_api.channels[root.thread_id].parent_id == CHANNEL
    assert discord_api.channels[root.thread_id].name == "Fable 5 suspension"
    in_thread = discord_api.messages(root.thread_id)
    assert [m["id"] for m in in_thread] == [first.message_id, second.message_id]
    assert {first.thread_id, second.thread_id} == {root.thread_id}
    assert in_thread[0]["embeds"][0]["url"] == "https://news.test/a?x=1&y=2"
    assert "was available" in in_thread[1]["embeds"][0]["description"]


async def test_every_send_forbids_mentions_and_carries_an_enforced_nonce(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    root = await platform.post_root(CHANNEL, card("@everyone look"), idempotency_key="k1")
    await platform.post_reply(
        CHANNEL, root, coverage("<@&1234567890123456789>"), idempotency_key="k2"
    )
    await platform.edit_root(CHANNEL, root, card("@here updated"))

    sends = discord_api.sends()
    assert len(sends) == 3
    assert all(c.body["allowed_mentions"] == {"parse": []} for c in sends)
    creates = discord_api.calls_to("send_message")
    assert [c.body["nonce"] for c in creates] == [nonce_for("k1"), nonce_for("k2")]
    assert all(c.body["enforce_nonce"] is True and len(c.body["nonce"]) <= 25 for c in creates)


async def test_root_card_edit_replaces_the_embed(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    root = await platform.post_root(CHANNEL, card(), idempotency_key="k1")
    await platform.edit_root(CHANNEL, root, card(facts=(fact(value="restored"),)))

    [posted] = discord_api.messages(CHANNEL)
    assert posted["edited_timestamp"] is not None
    assert posted["embeds"][0]["fields"][0]["value"].startswith("restored")


async def test_a_resend_with_the_same_key_gives_the_original_message(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    first = await platform.post_root(CHANNEL, card(), idempotency_key="same")
    # A crash after sending and before recording: the worker sends the row again.
    again = await platform.post_root(CHANNEL, card(), idempotency_key="same")
    reply = await platform.post_reply(CHANNEL, first, coverage(), idempotency_key="r")
    reply_again = await platform.post_reply(CHANNEL, first, coverage(), idempotency_key="r")

    assert again == first and reply_again == reply
    assert len(discord_api.messages(CHANNEL)) == 1
    assert len(discord_api.messages(first.thread_id)) == 1


async def test_find_sent_finds_roots_and_replies_by_the_footer_ref(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    root = await platform.post_root(CHANNEL, card(), idempotency_key="root-key")
    reply = await platform.post_reply(CHANNEL, root, coverage(), idempotency_key="reply-key")

    assert await platform.find_sent(CHANNEL, "root-key") == root
    assert await platform.find_sent(CHANNEL, "reply-key") == reply
    assert await platform.find_sent(CHANNEL, "reply-key", thread=root) == reply
    assert await platform.find_sent(CHANNEL, "never-sent") is None


async def test_find_sent_completes_a_root_whose_thread_was_never_opened(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    discord_api.fail_next("start_thread", 503, message="upstream")
    with pytest.raises(DeliveryError) as caught:
        await platform.post_root(CHANNEL, card(), idempotency_key="half")
    assert not isinstance(caught.value, ChannelUnavailable)

    found = await platform.find_sent(CHANNEL, "half")

    [posted] = discord_api.messages(CHANNEL)
    assert found == MessageRef(posted["id"], posted["thread"]["id"])


async def test_an_archived_thread_is_reopened_and_the_reply_lands(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    root = await platform.post_root(CHANNEL, card(), idempotency_key="k1")
    discord_api.archive(root.thread_id)

    await platform.post_reply(CHANNEL, root, coverage(), idempotency_key="k2")

    assert not discord_api.channels[root.thread_id].archived
    assert [c.body for c in discord_api.calls_to("edit_channel")] == [{"archived": False}]
    assert len(discord_api.messages(root.thread_id)) == 1


@pytest.mark.parametrize("what", ["locked", "deleted"])
async def test_a_locked_or_deleted_thread_is_thread_gone_not_permanent(
    discord_api: FakeDiscord, platform: DiscordPlatform, what: str
) -> None:
    root = await platform.post_root(CHANNEL, card(), idempotency_key="k1")
    (discord_api.lock if what == "locked" else discord_api.delete)(root.thread_id)

    with pytest.raises(DeliveryError) as caught:
        await platform.post_reply(CHANNEL, root, coverage(), idempotency_key="k2")

    assert caught.value.code == "thread_gone" and not isinstance(caught.value, ChannelUnavailable)


@pytest.mark.parametrize(
    ("break_channel", "code"),
    [("forbid", "missing_access"), ("delete", "unknown_channel")],
)
async def test_a_channel_that_forbids_or_lost_the_bot_is_permanent(
    discord_api: FakeDiscord, platform: DiscordPlatform, break_channel: str, code: str
) -> None:
    root = await platform.post_root(CHANNEL, card(), idempotency_key="k1")
    getattr(discord_api, break_channel)(CHANNEL)

    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: platform.post_root(CHANNEL, card(), idempotency_key="k2"),
        lambda: platform.post_reply(CHANNEL, root, coverage(), idempotency_key="k3"),
        lambda: platform.edit_root(CHANNEL, root, card()),
    ]
    for attempt in attempts:
        with pytest.raises(DeliveryError) as caught:
            await attempt()
        assert isinstance(caught.value, ChannelUnavailable) and caught.value.code == code


async def test_missing_permissions_is_permanent(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    discord_api.fail_next("send_message", 403, 50013, "Missing Permissions")
    with pytest.raises(DeliveryError) as caught:
        await platform.post_root(CHANNEL, card(), idempotency_key="k1")
    assert (
        isinstance(caught.value, ChannelUnavailable) and caught.value.code == "missing_permissions"
    )


async def test_a_revoked_token_is_permanent(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    discord_api.token = "rotated"
    with pytest.raises(DeliveryError) as caught:
        await platform.post_root(CHANNEL, card(), idempotency_key="k1")
    assert isinstance(caught.value, ChannelUnavailable) and caught.value.code == "invalid_auth"


async def test_server_errors_and_network_failures_are_transient(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    discord_api.fail_next("send_message", 503, message="Service Unavailable")
    with pytest.raises(DeliveryError) as caught:
        await platform.post_root(CHANNEL, card(), idempotency_key="k1")
    assert not isinstance(caught.value, ChannelUnavailable) and caught.value.code == "server_error"

    await discord_api.stop()
    with pytest.raises(DeliveryError) as caught:
        await platform.post_root(CHANNEL, card(), idempotency_key="k1")
    assert not isinstance(caught.value, ChannelUnavailable) and caught.value.code == "network"


async def test_a_429_is_waited_out_for_retry_after_then_sent(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    discord_api.rate_limit("send_message", retry_after=0.5)

    await platform.post_root(CHANNEL, card(), idempotency_key="k1")

    limited, accepted = discord_api.calls_to("send_message")
    assert (limited.status, accepted.status) == (429, 200)
    assert accepted.at - limited.at >= 0.5
    assert len(discord_api.messages(CHANNEL)) == 1


async def test_a_long_429_is_handed_to_the_outbox_with_retry_after(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    discord_api.rate_limit("send_message", retry_after=120.0)

    with pytest.raises(DeliveryError) as caught:
        await platform.post_root(CHANNEL, card(), idempotency_key="k1")

    assert caught.value.code == "ratelimited" and not isinstance(caught.value, ChannelUnavailable)
    assert caught.value.retry_after == 120.0
    assert len(discord_api.calls_to("send_message")) == 1


async def test_a_made_headline_is_marked_in_the_embed(
    discord_api: FakeDiscord, platform: DiscordPlatform
) -> None:
    root = await platform.post_root(CHANNEL, card(), idempotency_key="outbox-1")
    made = coverage("A federal judge on Thursday blocked the…", title_made=True)
    await platform.post_reply(CHANNEL, root, made, idempotency_key="outbox-2")
    await platform.post_reply(CHANNEL, root, coverage(), idempotency_key="outbox-3")

    made_embed, own_embed = (m["embeds"][0] for m in discord_api.messages(root.thread_id))
    assert made_embed["title"] == "✎ A federal judge on Thursday blocked the…"
    assert "no headline in the feed" in made_embed["footer"]["text"]
    assert own_embed["title"] == "Anthropic disables Fable 5"
    assert "headline" not in own_embed["footer"]["text"]
