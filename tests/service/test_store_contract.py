"""One set of behaviours, run against the SQLite Store, the in-memory double
(tests/support/memory_store.py) and, when configured, PostgreSQL: what the services
rely on, so the double the service tests use cannot drift from the store the bot uses."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.core.facts import Claim, FactView
from bot.core.items import FeedSeed
from bot.core.posts import MessageRef, PostKind, Reply
from bot.core.subscriptions import ChannelAddress, DigestSchedule
from bot.service.commands import CommandStore
from bot.service.deliver import DeliveryStore
from bot.service.ledger import LedgerStore
from bot.service.status import StatusStore
from bot.storage import migrate
from bot.storage.engine import make_engine
from bot.storage.store import Store
from tests.conftest import fresh_postgres
from tests.support.clock import T0
from tests.support.memory_store import MemoryStore
from tests.support.store_rows import add_claims, outbox_statuses, queue_reply

# The static half of the contract: mypy checks that both stores are each Protocol.
_delivery: DeliveryStore = MemoryStore()
_commands: CommandStore = MemoryStore()
_ledger: LedgerStore = MemoryStore()
_status: StatusStore = MemoryStore()


def _real_store_is_each_protocol(
    store: Store,
) -> tuple[DeliveryStore, CommandStore, LedgerStore, StatusStore]:
    return store, store, store, store


LEASE = timedelta(minutes=2)
C1 = ChannelAddress("slack", "C1", "T1")
C2 = ChannelAddress("discord", "C2")


def reply(title: str) -> Reply:
    return Reply(
        kind="coverage", storyline="demo", title=title, url="https://e.example/1", also=("x",)
    )


@pytest.fixture(params=["sqlite", "memory", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(
    request: pytest.FixtureRequest, sqlite_url: str
) -> AsyncIterator[Store | MemoryStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    async with contextlib.AsyncExitStack() as stack:
        url = sqlite_url
        if request.param == "postgres":
            url = await stack.enter_async_context(fresh_postgres())
        engine = make_engine(url)
        await migrate.upgrade(engine)
        real = Store(engine)
        stack.push_async_callback(real.close)
        yield real


async def test_follow_queues_the_root_once_and_unfollow_drops_the_thread(
    store: Store | MemoryStore,
) -> None:
    sub, created = await store.follow(C1, "demo", T0)
    assert created and sub.enabled and sub.root is None and sub.address == C1
    again, created = await store.follow(C1, "demo", T0)
    assert not created and again.id == sub.id
    other, _ = await store.follow(C2, "demo", T0)
    [r1, r2] = await store.claim_outbox("w", T0, LEASE, ["slack", "discord"])
    assert (r1.subscription.id, r1.kind, r1.reply) == (sub.id, PostKind.ROOT, None)
    assert r2.subscription.id == other.id
    assert await store.unfollow(C1, "demo")
    assert not await store.unfollow(C1, "demo")
    assert [s.id for s in await store.subscriptions()] == [other.id]
    assert await outbox_statuses(store) == {"pending": 1}  # the unfollowed root went with it


async def test_a_disabled_subscription_is_hidden_and_following_again_revives_it(
    store: Store | MemoryStore,
) -> None:
    sub, _ = await store.follow(C1, "demo", T0)
    await store.follow(C2, "other", T0)
    await store.disable_subscription(sub.id, "channel_not_found: gone")
    assert [s.storyline for s in await store.subscriptions()] == ["other"]
    [off] = await store.subscriptions(storyline="demo", enabled_only=False)
    assert not off.enabled and off.disabled_reason == "channel_not_found: gone"
    back, created = await store.follow(C1, "demo", T0)
    assert created and back.id == sub.id and back.enabled and back.disabled_reason is None
    assert await outbox_statuses(store) == {"pending": 3}  # a fresh root card


async def test_set_root_is_what_later_claims_and_listings_see(store: Store | MemoryStore) -> None:
    sub, _ = await store.follow(C1, "demo", T0)
    await store.set_root(sub.id, MessageRef("m1", "th1"))
    [row] = await store.claim_outbox("w", T0, LEASE, ["slack"])
    assert row.subscription.root == MessageRef("m1", "th1")
    await store.set_root(sub.id, None)
    assert [s.root for s in await store.subscriptions()] == [None]


async def test_claims_are_leased_oldest_first_per_platform_and_limited(
    store: Store | MemoryStore,
) -> None:
    sub, _ = await store.follow(C1, "demo", T0)
    await store.follow(C2, "demo", T0)
    await queue_reply(store, sub.id, reply("one"))
    await queue_reply(store, sub.id, reply("two"))
    rows = await store.claim_outbox("a", T0, LEASE, ["slack"], limit=2)
    assert [(r.kind, r.reply.title if r.reply else None) for r in rows] == [
        (PostKind.ROOT, None),
        (PostKind.REPLY, "one"),
    ]
    assert rows[1].reply == reply("one")  # the reply comes back whole, `also` a tuple
    [third] = await store.claim_outbox("b", T0, LEASE, ["slack"])  # the others are leased
    assert third.reply == reply("two")
    assert await store.claim_outbox("b", T0 + LEASE, LEASE, ["slack"]) == []  # held to its end
    again = await store.claim_outbox("b", T0 + LEASE + timedelta(seconds=1), LEASE, ["slack"])
    assert [r.id for r in again] == [r.id for r in rows] + [third.id]  # expired leases


async def test_a_row_is_sent_at_most_once(store: Store | MemoryStore) -> None:
    await store.follow(C1, "demo", T0)
    [row] = await store.claim_outbox("a", T0, LEASE, ["slack"])
    assert (row.status, row.attempts) == ("pending", 0)
    await store.mark_sending(row.id)
    await store.mark_sent(row.id, "m1", T0)
    assert await store.claim_outbox("a", T0 + 10 * LEASE, LEASE, ["slack"]) == []
    assert await outbox_statuses(store) == {"sent": 1}


async def test_a_row_left_sending_by_a_crash_comes_back_marked_sending(
    store: Store | MemoryStore,
) -> None:
    await store.follow(C1, "demo", T0)
    [row] = await store.claim_outbox("dead", T0, LEASE, ["slack"])
    await store.mark_sending(row.id)
    await store.recover_leases("someone-else")  # a live lease of another owner stays
    assert await store.claim_outbox("new", T0, LEASE, ["slack"]) == []
    await store.recover_leases("dead")
    [back] = await store.claim_outbox("new", T0, LEASE, ["slack"])
    # Killed mid-send: the row is checked before it is resent, and no attempt was spent.
    assert (back.id, back.status, back.attempts) == (row.id, "sending", 0)


async def test_unreachable_tries_are_counted_apart_and_the_backlog_says_why(
    store: Store | MemoryStore,
) -> None:
    sub, _ = await store.follow(C1, "demo", T0)
    await queue_reply(store, sub.id, reply("later"))
    root, later = await store.claim_outbox("a", T0, LEASE, ["slack"])
    await store.mark_retry(root.id, "network: refused", T0 + timedelta(minutes=1), answered=False)
    await store.mark_retry(later.id, "server_error: 503", T0 + timedelta(minutes=2))
    backlog = await store.outbox_backlog(T0, "a")
    assert (backlog.waiting, backlog.due, backlog.held_elsewhere) == (2, 0, 0)
    assert {(r.error, r.rows) for r in backlog.reasons} == {
        ("network: refused", 1),
        ("server_error: 503", 1),
    }
    first, second = await store.claim_outbox("b", T0 + timedelta(minutes=2), LEASE, ["slack"])
    assert (first.attempts, first.unreachable) == (0, 1)
    assert (second.attempts, second.unreachable) == (1, 0)
    backlog = await store.outbox_backlog(T0 + timedelta(minutes=2), "a")
    assert (backlog.due, backlog.held_elsewhere) == (2, 2)  # b holds them


async def test_a_retry_waits_until_its_time_and_a_failure_is_final(
    store: Store | MemoryStore,
) -> None:
    sub, _ = await store.follow(C1, "demo", T0)
    await queue_reply(store, sub.id, reply("later"))
    root, later = await store.claim_outbox("a", T0, LEASE, ["slack"])
    await store.mark_sending(later.id)
    await store.mark_retry(later.id, "rate_limited: \x00slow", T0 + timedelta(seconds=30))
    await store.mark_failed(root.id, "subscription disabled", status="skipped")
    assert await store.claim_outbox("a", T0 + timedelta(seconds=29), LEASE, ["slack"]) == []
    [due] = await store.claim_outbox("a", T0 + timedelta(seconds=30), LEASE, ["slack"])
    assert (due.id, due.status, due.attempts) == (later.id, "pending", 1)
    await store.mark_failed(due.id, "forbidden")
    assert await store.claim_outbox("a", T0 + timedelta(days=1), LEASE, ["slack"]) == []
    assert await outbox_statuses(store) == {"skipped": 1, "failed": 1}


async def test_feeds_are_added_once_removed_aside_and_brought_back_fresh(
    store: Store | MemoryStore,
) -> None:
    seed = FeedSeed("https://a.example/feed", "A", 900, ("news",))
    feed, created = await store.add_feed(seed, "chat", T0)
    assert created and (feed.name, feed.status, feed.enabled, feed.origin) == (
        "A",
        "new",
        True,
        "chat",
    )
    assert feed.tags == ("news",) and feed.next_poll_at == T0
    same, created = await store.add_feed(FeedSeed(seed.url, "B", 60), "cli", T0)
    assert not created and same == feed
    other, _ = await store.add_feed(FeedSeed("https://b.example/feed", "B", 60), "cli", T0)
    assert await store.feed_by_url(seed.url) == feed
    assert await store.feeds() == [feed, other]
    assert await store.remove_feed(str(feed.id)) == feed  # as it was before removal
    assert await store.remove_feed(str(feed.id)) is None
    assert await store.remove_feed("https://nowhere.example/") is None
    assert await store.feeds() == [other] and await store.feed_by_url(seed.url) is None
    assert await store.remove_feed(other.url) == other
    back, created = await store.add_feed(FeedSeed(seed.url, "A2", 300), "cli", T0 + LEASE)
    assert created and back.id == feed.id and (back.name, back.status) == ("A2", "new")
    assert back.error_code is None and back.next_poll_at == T0 + LEASE
    assert await store.feeds(enabled_only=True) == [back]


async def test_claims_come_by_fact_oldest_first(store: Store | MemoryStore) -> None:
    def claim(fact: str, value: str, hours: int) -> Claim:
        return Claim("demo", fact, value, T0 + timedelta(hours=hours), "Src", "k", "https://e/1")

    assert await store.claims() == {}
    await add_claims(store, [claim("state", "on", 2), claim("state", "off", 1), claim("x", "y", 0)])
    assert await store.claims() == {
        ("demo", "state"): [claim("state", "off", 1), claim("state", "on", 2)],
        ("demo", "x"): [claim("x", "y", 0)],
    }


async def test_a_first_state_is_recorded_once_and_never_overwritten(
    store: Store | MemoryStore,
) -> None:
    contender = Claim("demo", "state", "on", T0, "Src", "k1", "https://e/1", "Acme", "said so")
    first = FactView("demo", "state", "on", T0, "Src", "https://e/1", True, (contender,))
    assert await store.fact_states() == {}
    await store.save_first_states([first], T0)
    await store.save_first_states([FactView("demo", "state", "off", T0)], T0 + LEASE)
    await store.save_first_states([], T0)
    stored = (await store.fact_states())[("demo", "state")]
    assert stored.value == "on" and stored.disputed and stored.since == T0
    [kept] = stored.contenders
    assert (kept.value, kept.attribution, kept.item_key, kept.evidence) == ("on", "Acme", "k1", "")


async def test_the_outbox_backlog_says_how_many_wait_since_when_who_holds_them_and_why(
    store: Store | MemoryStore,
) -> None:
    empty = await store.outbox_backlog(T0)
    assert (empty.waiting, empty.oldest, empty.reasons) == (0, None, ())
    await store.follow(C1, "demo", T0)
    await store.follow(C2, "demo", T0 + timedelta(minutes=1))
    await store.follow(ChannelAddress("slack", "C3"), "demo", T0 + timedelta(minutes=2))
    first, second = await store.claim_outbox("w", T0, LEASE, ["slack", "discord"], limit=2)
    await store.mark_retry(first.id, "HTTP 503 from the platform", T0 + timedelta(hours=1))
    await store.mark_sending(second.id)  # worker w holds it now
    [third] = await store.claim_outbox("w", T0, LEASE, ["slack"], limit=1)
    await store.mark_sent(third.id, "m3", T0)
    await store.follow(ChannelAddress("slack", "C4"), "demo", T0 + timedelta(minutes=3))
    [fourth] = await store.claim_outbox("w", T0, LEASE, ["slack"], limit=1)
    await store.mark_failed(fourth.id, "forbidden")

    seen = await store.outbox_backlog(T0 + timedelta(minutes=1), "status-reader")
    assert (seen.waiting, seen.due, seen.held_elsewhere, seen.failed) == (2, 1, 1, 1)
    assert seen.oldest == T0
    assert {(r.platform, r.error, r.rows, r.next_attempt) for r in seen.reasons} == {
        ("slack", "HTTP 503 from the platform", 1, T0 + timedelta(hours=1)),
        ("discord", None, 1, None),
    }
    assert [r.platform for r in seen.reasons] == ["discord", "slack"]  # same order everywhere
    # Worker w's own claim is not held elsewhere from where w stands.
    assert (await store.outbox_backlog(T0 + timedelta(minutes=1), "w")).held_elsewhere == 0
    # Two hours on the retry is due and the dead worker's lease has run out.
    later = await store.outbox_backlog(T0 + timedelta(hours=2))
    assert (later.waiting, later.due, later.held_elsewhere, later.oldest) == (2, 2, 0, T0)


async def test_a_digest_starts_gathering_keeps_it_on_a_new_time_and_drops_it_when_off(
    store: Store | MemoryStore,
) -> None:
    sub, _ = await store.follow(C1, "demo", T0)
    assert await store.set_digest(sub.id, DigestSchedule("09:00", "UTC"), T0) == 0
    [got] = await store.subscriptions()
    assert (got.digest, got.digest_since) == (DigestSchedule("09:00", "UTC"), T0)
    later = T0 + timedelta(hours=3)
    await store.set_digest(sub.id, DigestSchedule("18:30", "Europe/Berlin"), later)
    [got] = await store.subscriptions()
    assert (got.digest, got.digest_since) == (DigestSchedule("18:30", "Europe/Berlin"), T0)
    await store.set_digest(sub.id, None, later)
    [got] = await store.subscriptions()
    assert (got.digest, got.digest_since) == (None, None)
