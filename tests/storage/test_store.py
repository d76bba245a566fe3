"""The Store on each backend: feed sync, claims with leases, follow, the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.items import FeedSeed
from bot.core.subscriptions import ChannelAddress
from bot.ports import FeedUpdate
from bot.storage import migrate
from bot.storage.engine import make_engine
from bot.storage.store import Store
from tests.support.store_rows import outbox_statuses

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    engine = make_engine(db_url)
    await migrate.upgrade(engine)
    s = Store(engine)
    yield s
    await s.close()


def seed(n: int) -> FeedSeed:
    return FeedSeed(f"https://feeds.example.com/{n}.xml", f"Feed {n}", 600)


async def test_feed_removed_in_chat_is_not_re_added_from_the_file(store: Store) -> None:
    assert await store.sync_feeds([seed(1), seed(2)], T0) == 2
    assert await store.remove_feed(seed(1).url) is not None
    assert await store.sync_feeds([seed(1), seed(2), seed(3)], T0) == 1
    assert [f.name for f in await store.feeds()] == ["Feed 2", "Feed 3"]


async def test_file_sync_refreshes_names_but_keeps_chat_feeds(store: Store) -> None:
    await store.add_feed(FeedSeed("https://chat.example.com/x", "From chat", 900), "chat", T0)
    await store.sync_feeds([seed(1)], T0)
    await store.sync_feeds([FeedSeed(seed(1).url, "Renamed", 1200)], T0)
    feeds = {f.url: f for f in await store.feeds()}
    assert feeds[seed(1).url].name == "Renamed" and feeds[seed(1).url].interval_seconds == 1200
    assert feeds["https://chat.example.com/x"].origin == "chat"


async def test_a_leased_feed_is_not_claimed_twice_until_the_lease_expires(store: Store) -> None:
    await store.sync_feeds([seed(1), seed(2)], T0)
    first = await store.claim_feeds("a", T0, LEASE)
    assert len(first) == 2
    assert await store.claim_feeds("b", T0 + timedelta(minutes=1), LEASE) == []
    taken_over = await store.claim_feeds("b", T0 + LEASE + timedelta(seconds=1), LEASE)
    assert sorted(f.id for f in taken_over) == sorted(f.id for f in first)


async def test_the_next_poll_is_the_earliest_time_an_enabled_feed_can_be_claimed(
    store: Store,
) -> None:
    assert await store.next_poll_due() is None  # no feeds: nothing to wake for
    await store.sync_feeds([seed(1), seed(2), seed(3)], T0)
    assert await store.next_poll_due() == T0  # new feeds are due at once
    [one, two, three] = await store.claim_feeds("a", T0, LEASE)
    polled = [
        FeedUpdate(feed_id=f.id, status="ok", polled_at=T0, next_poll_at=T0 + after, success=True)
        for f, after in ((one, timedelta(minutes=10)), (two, timedelta(minutes=3)))
    ]
    await store.record_feed_updates(polled)
    # Feed 3 is still leased: another process may not take it before the lease ends.
    assert await store.next_poll_due() == T0 + timedelta(minutes=3)
    await store.release_feeds("a", [three.id])
    assert await store.next_poll_due() == T0
    await store.remove_feed(three.url)
    assert await store.next_poll_due() == T0 + timedelta(minutes=3)
    # A lease that ends before the feed is due anyway changes nothing.
    assert [f.id for f in await store.claim_feeds("b", T0, timedelta(minutes=1), due_only=False)]
    assert await store.next_poll_due() == T0 + timedelta(minutes=3)
    # A lease that outlasts the due time is when the feed can be claimed.
    await store.claim_feeds("c", T0 + timedelta(minutes=2), timedelta(minutes=5), due_only=False)
    assert await store.next_poll_due() == T0 + timedelta(minutes=7)


async def test_follow_queues_the_root_card_once(store: Store) -> None:
    channel = ChannelAddress("slack", "C1")
    _sub, created = await store.follow(channel, "dod-dispute", T0)
    assert created
    _sub, created = await store.follow(channel, "dod-dispute", T0)
    assert not created
    rows = await store.claim_outbox("w", T0, LEASE, ["slack"])
    assert [(r.kind, r.reply, r.subscription.storyline) for r in rows] == [
        ("root", None, "dod-dispute")
    ]
    assert await store.claim_outbox("w2", T0, LEASE, ["slack"]) == []


async def test_outbox_rows_come_back_after_a_crash_marked_sending(store: Store) -> None:
    await store.follow(ChannelAddress("discord", "42"), "fable-suspension", T0)
    [row] = await store.claim_outbox("w", T0, LEASE, ["discord"])
    await store.mark_sending(row.id)
    # the worker dies here; after the lease another one takes the row over
    [again] = await store.claim_outbox("w2", T0 + LEASE * 2, LEASE, ["discord"])
    # a kill mid-send spends no attempt
    assert again.id == row.id and again.status == "sending" and again.attempts == 0
    await store.mark_sent(again.id, "m1", T0)
    assert await store.claim_outbox("w3", T0 + LEASE * 4, LEASE, ["discord"]) == []
    assert (await outbox_statuses(store))["sent"] == 1


async def test_a_feed_moved_by_a_permanent_redirect_is_not_re_added_from_the_file(
    store: Store,
) -> None:
    from bot.ports import FeedUpdate

    await store.sync_feeds([seed(1)], T0)
    [feed] = await store.feeds()
    moved = "https://feeds.example.com/new-home.xml"
    await store.record_feed_updates([FeedUpdate(feed.id, "ok", T0, T0, success=True, url=moved)])
    assert await store.sync_feeds([seed(1)], T0) == 0
    [feed] = await store.feeds()
    assert feed.url == moved and feed.name == "Feed 1"


async def test_an_error_message_with_nul_and_control_characters_is_stored_plain(
    store: Store,
) -> None:
    from bot.ports import FeedUpdate

    await store.sync_feeds([seed(1)], T0)
    [feed] = await store.feeds()
    await store.record_feed_updates(
        [
            FeedUpdate(
                feed.id,
                "failing",
                T0,
                T0,
                success=False,
                failures=1,
                error_code="parse",
                last_error="bad\x00byte\x1b[31m here",
            )
        ]
    )
    [feed] = await store.feeds()
    assert feed.last_error == "bad byte [31m here"


async def test_a_repeat_is_linked_to_its_original_stored_in_an_earlier_cycle(
    store: Store,
) -> None:
    from sqlalchemy import select

    from bot.core.decide import Decision, NewItem
    from bot.core.items import Entry
    from bot.storage import tables as t

    await store.sync_feeds([seed(1), seed(2), seed(3)], T0)
    first, second, third = await store.feeds()

    def entry(feed_id: int, key: str) -> Entry:
        return Entry(
            feed_id=feed_id,
            key=key,
            guid=key,
            url=f"https://news.example.com/{key}",
            title=f"Story {key}",
            summary="",
            published=T0,
            first_seen=T0,
            source="Feed",
        )

    original = entry(first.id, "a")
    await store.record_cycle(Decision(items=[NewItem(original, (), (), None)]), [], T0)
    repeat, later = entry(second.id, "b"), entry(third.id, "c")
    await store.record_cycle(
        Decision(items=[NewItem(repeat, (), (), original), NewItem(later, (), (), repeat)]),
        [],
        T0,
    )
    async with store.engine.connect() as conn:
        rows = {r.key: r for r in await conn.execute(select(t.items))}
    assert rows["b"].story_of == rows["a"].id  # stored by the earlier cycle
    assert rows["c"].story_of == rows["b"].id  # stored by this one
    assert rows["a"].story_of is None


async def _store_items(store: Store, keys: Sequence[tuple[int, str]]) -> None:
    """Items of (feed id, key), stored as a poll cycle stores them."""
    from bot.core.decide import Decision, NewItem
    from bot.core.items import Entry

    entries = [
        Entry(
            feed_id=feed_id,
            key=k,
            guid=k,
            url=None,
            title=k,
            summary="",
            published=T0,
            first_seen=T0,
            source="Feed",
        )
        for feed_id, k in keys
    ]
    await store.record_cycle(Decision(items=[NewItem(e, (), (), None) for e in entries]), [], T0)


async def test_feeds_with_items_are_those_with_any_item_stored(store: Store) -> None:
    await store.sync_feeds([seed(1), seed(2), seed(3)], T0)
    first, second, third = await store.feeds()
    await _store_items(store, [(first.id, "a"), (first.id, "b"), (third.id, "a")])
    everyone = {first.id, second.id, third.id, 999}
    assert await store.feeds_with_items(everyone) == {first.id, third.id}
    assert await store.feeds_with_items({second.id}) == set()
    assert await store.feeds_with_items(()) == set()


async def test_known_item_keys_are_the_stored_pairs_among_those_asked(store: Store) -> None:
    await store.sync_feeds([seed(1), seed(2)], T0)
    first, second = await store.feeds()
    keys = ["a", "b'; --", "ключ"]
    await _store_items(store, [(first.id, k) for k in keys])
    asked = [(first.id, k) for k in [*keys, "c"]] + [(second.id, k) for k in keys]
    assert await store.known_item_keys(asked) == {(first.id, k) for k in keys}
    assert await store.known_item_keys([]) == set()
