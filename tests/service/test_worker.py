"""The delivery worker against a platform double (a fake of the ChatPlatform port):
thread structure, pacing per channel, crash-safe resend, and channel isolation.
The store is the in-memory double, except where leases of a crashed process are
recovered: that stays on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.posts import Card, MessageRef, Reply
from bot.core.storyline import FactSpec, FactValueSpec, MatchRules, Storyline, TermGroup
from bot.core.subscriptions import ChannelAddress
from bot.errors import ChannelUnavailable, DeliveryError, DeliveryRetryLater, ThreadGone
from bot.ports import PlatformLimits
from bot.service.deliver import Deliverer
from bot.service.ledger import FactLedger
from bot.storage import migrate
from bot.storage.audit_log import AuditLog
from bot.storage.engine import make_engine
from bot.storage.store import Store
from tests.support.clock import FakeClock
from tests.support.memory_store import MemoryStore
from tests.support.store_rows import queue_reply as queue

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

STORY = Storyline(
    id="demo",
    title="Demo storyline",
    description="A storyline for tests.",
    status="open",
    match=MatchRules(actors=(TermGroup("actor", ("Acme",)),), topics=(TermGroup("t", ("x",)),)),
    facts=(
        FactSpec(
            id="state",
            label="State",
            kind="enum",
            values=(FactValueSpec("on", "on", ("switched on",)),),
        ),
    ),
)


class FakePlatform:
    """Records what would be sent; channels can be made to fail."""

    name = "fake"
    limits = PlatformLimits(max_text=1000, max_title=100, per_channel_interval=1.0)

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, str]] = []  # (channel, kind, key, thread)
        self.edits: list[str] = []
        self.failing: dict[str, DeliveryError] = {}
        self.failing_replies: dict[str, DeliveryError] = {}
        self.already: dict[str, MessageRef] = {}
        self._n = 0

    def _check(self, channel: str) -> None:
        if channel in self.failing:
            raise self.failing[channel]

    async def post_root(self, channel: str, card: Card, *, idempotency_key: str) -> MessageRef:
        self._check(channel)
        self._n += 1
        self.sent.append((channel, "root", idempotency_key, str(self._n)))
        return MessageRef(str(self._n), f"thread-{self._n}")

    async def post_reply(
        self, channel: str, thread: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> MessageRef:
        self._check(channel)
        if thread.thread_id in self.failing_replies:
            raise self.failing_replies[thread.thread_id]
        self._n += 1
        self.sent.append((channel, "reply", idempotency_key, thread.thread_id))
        return MessageRef(str(self._n), thread.thread_id)

    async def post_notice(self, channel: str, notice: Reply, *, idempotency_key: str) -> MessageRef:
        self.sent.append((channel, "notice", idempotency_key, ""))
        return MessageRef("n", "n")

    async def close(self) -> None:
        pass

    async def edit_root(self, channel: str, root: MessageRef, card: Card) -> None:
        self._check(channel)
        self.edits.append(root.message_id)

    async def find_sent(
        self, channel: str, idempotency_key: str, *, thread: MessageRef | None = None
    ) -> MessageRef | None:
        return self.already.get(idempotency_key)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def sqlite_store(sqlite_url: str) -> AsyncIterator[Store]:
    engine = make_engine(sqlite_url)
    await migrate.upgrade(engine)
    s = Store(engine)
    yield s
    await s.close()


def worker(
    store: Store | MemoryStore,
    platform: FakePlatform,
    sleeps: list[float],
    notices: list[str] | None = None,
) -> Deliverer:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def notify(text: str) -> None:
        if notices is not None:
            notices.append(text)

    return Deliverer(
        store=store,
        ledger=FactLedger(store, [STORY], FakeClock(T0)),
        platforms={"fake": platform},
        storylines=[STORY],
        clock=FakeClock(T0),
        audit=AuditLog(None),
        owner="test",
        sleep=sleep,
        notify_admins=notify,
    )


async def queue_reply(store: Store | MemoryStore, sub_id: int, title: str) -> None:
    await queue(
        store, sub_id, Reply(kind="coverage", storyline="demo", title=title, url="https://e.com/a")
    )


async def test_root_first_then_replies_in_its_thread_paced_per_channel(store: MemoryStore) -> None:
    platform, sleeps = FakePlatform(), []
    sub, _ = await store.follow(ChannelAddress("fake", "C1"), "demo", T0)
    await queue_reply(store, sub.id, "one")
    await queue_reply(store, sub.id, "two")
    report = await worker(store, platform, sleeps).drain()
    assert report.sent == 3
    assert [(c, k) for c, k, *_ in platform.sent] == [
        ("C1", "root"),
        ("C1", "reply"),
        ("C1", "reply"),
    ]
    assert {th for _c, k, _key, th in platform.sent if k == "reply"} == {"thread-1"}
    assert len(sleeps) == 2  # the second and third post waited for the channel's interval
    [stored] = await store.subscriptions()
    assert stored.root == MessageRef("1", "thread-1")


async def test_a_row_found_on_the_platform_after_a_crash_is_not_sent_again(
    sqlite_store: Store,
) -> None:
    store = sqlite_store
    platform, sleeps = FakePlatform(), []
    sub, _ = await store.follow(ChannelAddress("fake", "C1"), "demo", T0)
    await worker(store, platform, sleeps).drain()
    await queue_reply(store, sub.id, "once")
    [row] = await store.claim_outbox("crashed", T0, timedelta(seconds=1), ["fake"])
    await store.mark_sending(row.id)  # sent, then the process died before recording it
    platform.already[f"tl-{row.id}"] = MessageRef("99", "thread-1")
    await store.recover_leases("crashed")
    report = await worker(store, platform, sleeps).drain()
    assert report.sent == 1
    assert [k for _c, k, *_ in platform.sent] == ["root"]  # no second reply


async def test_a_gone_channel_is_disabled_and_the_others_go_on(store: MemoryStore) -> None:
    platform, sleeps = FakePlatform(), []
    bad, _ = await store.follow(ChannelAddress("fake", "GONE"), "demo", T0)
    good, _ = await store.follow(ChannelAddress("fake", "OK"), "demo", T0)
    await queue_reply(store, bad.id, "lost")
    await queue_reply(store, good.id, "kept")
    platform.failing["GONE"] = ChannelUnavailable("no such channel", code="channel_not_found")
    notices: list[str] = []
    report = await worker(store, platform, sleeps, notices).drain()
    assert [c for c, *_ in platform.sent] == ["OK", "OK"]
    assert len(notices) == 1 and "fake:GONE" in notices[0] and "channel_not_found" in notices[0]
    assert report.disabled == ["fake:GONE (demo)"]
    subs = {s.address.channel: s for s in await store.subscriptions(enabled_only=False)}
    assert not subs["GONE"].enabled and "channel_not_found" in (subs["GONE"].disabled_reason or "")
    assert subs["OK"].enabled


async def test_a_transient_error_is_retried_later_not_dropped(store: MemoryStore) -> None:
    platform, sleeps = FakePlatform(), []
    await store.follow(ChannelAddress("fake", "C1"), "demo", T0)
    platform.failing["C1"] = DeliveryRetryLater("busy", retry_after=30)
    deliverer = worker(store, platform, sleeps)
    report = await deliverer.drain()
    assert report.retried == 1 and platform.sent == []
    del platform.failing["C1"]
    assert (await deliverer.drain()).sent == 0  # not due yet: Retry-After is honoured
    deliverer.clock.t = T0 + timedelta(seconds=31)  # type: ignore[attr-defined]
    assert (await deliverer.drain()).sent == 1


async def test_a_deleted_or_locked_thread_is_replaced_by_a_new_root(store: MemoryStore) -> None:
    platform, sleeps = FakePlatform(), []
    sub, _ = await store.follow(ChannelAddress("fake", "C1"), "demo", T0)
    deliverer = worker(store, platform, sleeps)
    await deliverer.drain()
    await queue_reply(store, sub.id, "after the thread was locked")
    platform.failing_replies["thread-1"] = ThreadGone("thread locked")
    assert (await deliverer.drain()).sent == 1
    kinds = [(k, th) for _c, k, _key, th in platform.sent]
    assert kinds == [("root", "1"), ("root", "2"), ("reply", "thread-2")]
    [stored] = await store.subscriptions()
    assert stored.root == MessageRef("2", "thread-2")
