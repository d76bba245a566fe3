"""Subscriptions and the outbox: who follows what, and what is still to send."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, true, update

from bot.core.backlog import OutboxBacklog, OutboxEntry, WaitReason
from bot.core.posts import MessageRef, PostKind
from bot.core.subscriptions import ChannelAddress, Subscription
from bot.storage import tables as t
from bot.storage.base import Part
from bot.storage.records import (
    OutboxRow,
    decode_reply,
    encode_post,
    plain_text,
    subscription_from_row,
)


class DeliveryRecords(Part):
    """Subscriptions and the outbox."""

    # --- subscriptions ----------------------------------------------------------------------

    async def subscriptions(
        self, *, storyline: str | None = None, enabled_only: bool = True
    ) -> list[Subscription]:
        stmt = select(t.subscriptions).order_by(t.subscriptions.c.id)
        if storyline:
            stmt = stmt.where(t.subscriptions.c.storyline == storyline)
        if enabled_only:
            stmt = stmt.where(t.subscriptions.c.enabled.is_(True))
        async with self.engine.connect() as conn:
            return [subscription_from_row(r) for r in await conn.execute(stmt)]

    async def follow(
        self, address: ChannelAddress, storyline: str, now: datetime
    ) -> tuple[Subscription, bool]:
        """Subscribe a channel (re-enabling a disabled subscription) and queue its
        root card, so the channel sees the current state before any news.
        Returns (subscription, created_or_reenabled)."""
        async with self.engine.begin() as conn:
            where = and_(
                t.subscriptions.c.platform == address.platform,
                t.subscriptions.c.channel == address.channel,
                t.subscriptions.c.storyline == storyline,
            )
            row = (await conn.execute(select(t.subscriptions).where(where))).one_or_none()
            if row is not None and row.enabled:
                return subscription_from_row(row), False
            if row is None:
                await conn.execute(
                    t.subscriptions.insert().values(
                        platform=address.platform,
                        channel=address.channel,
                        workspace=address.workspace,
                        storyline=storyline,
                        enabled=True,
                        created_at=now,
                    )
                )
            else:
                await conn.execute(
                    update(t.subscriptions).where(where).values(enabled=True, disabled_reason=None)
                )
            row = (await conn.execute(select(t.subscriptions).where(where))).one()
            await conn.execute(
                t.outbox.insert().values(
                    subscription_id=row.id,
                    kind=PostKind.ROOT,
                    payload=encode_post(PostKind.ROOT, storyline, None),
                    status="pending",
                    attempts=0,
                    created_at=now,
                )
            )
            return subscription_from_row(row), True

    async def unfollow(self, address: ChannelAddress, storyline: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(t.subscriptions).where(
                    t.subscriptions.c.platform == address.platform,
                    t.subscriptions.c.channel == address.channel,
                    t.subscriptions.c.storyline == storyline,
                )
            )
            return bool(result.rowcount)

    async def disable_subscription(self, subscription_id: int, reason: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.subscriptions)
                .where(t.subscriptions.c.id == subscription_id)
                .values(enabled=False, disabled_reason=reason)
            )

    async def set_root(self, subscription_id: int, root: MessageRef | None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.subscriptions)
                .where(t.subscriptions.c.id == subscription_id)
                .values(
                    root_message_id=root.message_id if root else None,
                    thread_id=root.thread_id if root else None,
                )
            )

    # --- outbox -----------------------------------------------------------------------------

    async def claim_outbox(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        platforms: Iterable[str],
        limit: int = 100,
    ) -> list[OutboxRow]:
        """Claim due rows for the given platforms, oldest first. A row left in
        ``sending`` by a crashed worker is claimable once its lease expired (and
        then comes back with ``status == "sending"``: check before resending)."""
        j = t.outbox.join(t.subscriptions, t.outbox.c.subscription_id == t.subscriptions.c.id)
        stmt = (
            select(t.outbox.c.id)
            .select_from(j)
            .where(
                t.outbox.c.status.in_(["pending", "sending"]),
                t.subscriptions.c.platform.in_(list(platforms)),
                or_(t.outbox.c.next_attempt_at.is_(None), t.outbox.c.next_attempt_at <= now),
                or_(t.outbox.c.lease_until.is_(None), t.outbox.c.lease_until < now),
            )
            .order_by(t.outbox.c.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=t.outbox)
        async with self.engine.begin() as conn:
            row_ids = [r.id for r in await conn.execute(stmt)]
            if not row_ids:
                return []
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id.in_(row_ids))
                .values(lease_owner=owner, lease_until=now + lease)
            )
            rows = await conn.execute(
                select(t.outbox, t.subscriptions)
                .select_from(j)
                .where(t.outbox.c.id.in_(row_ids))
                .order_by(t.outbox.c.id)
            )
            out = []
            for r in rows:
                m = r._mapping
                sub = Subscription(
                    id=m[t.subscriptions.c.id],
                    address=ChannelAddress(
                        m[t.subscriptions.c.platform],
                        m[t.subscriptions.c.channel],
                        m[t.subscriptions.c.workspace],
                    ),
                    storyline=m[t.subscriptions.c.storyline],
                    enabled=m[t.subscriptions.c.enabled],
                    root=MessageRef(
                        m[t.subscriptions.c.root_message_id], m[t.subscriptions.c.thread_id]
                    )
                    if m[t.subscriptions.c.root_message_id]
                    else None,
                )
                out.append(
                    OutboxRow(
                        id=m[t.outbox.c.id],
                        subscription=sub,
                        kind=PostKind(m[t.outbox.c.kind]),
                        reply=decode_reply(PostKind(m[t.outbox.c.kind]), m[t.outbox.c.payload]),
                        attempts=m[t.outbox.c.attempts],
                        status=m[t.outbox.c.status],
                        unreachable=m[t.outbox.c.unreachable],
                    )
                )
            return out

    async def mark_sending(self, row_id: int) -> None:
        """Record that a send is about to happen (committed before the send).
        It spends no attempt: a process killed mid-send never used one up."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.outbox).where(t.outbox.c.id == row_id).values(status="sending")
            )

    async def mark_sent(self, row_id: int, message_id: str | None, now: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == row_id)
                .values(
                    status="sent",
                    message_id=message_id,
                    sent_at=now,
                    lease_owner=None,
                    lease_until=None,
                    last_error=None,
                )
            )

    async def mark_retry(
        self,
        row_id: int,
        error: str,
        at: datetime,
        *,
        answered: bool | None = True,
        maybe_sent: bool = False,
    ) -> None:
        """Put the row back to wait until ``at``, with why. ``answered``: True,
        the platform answered (an attempt); False, it was unreachable (counted
        apart); None, it was not tried. ``maybe_sent``: the send may have reached
        the platform, so the row stays ``sending`` and is looked for first."""
        counted = {}
        if answered is not None:
            counter = t.outbox.c.attempts if answered else t.outbox.c.unreachable
            counted[counter.name] = counter + 1
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == row_id)
                .values(
                    status="sending" if maybe_sent else "pending",
                    next_attempt_at=at,
                    last_error=plain_text(error),
                    lease_owner=None,
                    lease_until=None,
                    **counted,
                )
            )

    async def mark_failed(self, row_id: int, error: str, status: str = "failed") -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == row_id)
                .values(
                    status=status, last_error=plain_text(error), lease_owner=None, lease_until=None
                )
            )

    # --- what waits, and why ------------------------------------------------------------------

    async def outbox_backlog(self, now: datetime, owner: str | None = None) -> OutboxBacklog:
        """What the outbox holds at ``now`` and why it waits; rows claimed by a
        process other than ``owner`` under a live lease count as held elsewhere."""
        o, s = t.outbox.c, t.subscriptions.c
        waiting = o.status.in_(["pending", "sending"])
        due = or_(o.next_attempt_at.is_(None), o.next_attempt_at <= now)
        held = and_(
            o.lease_until.is_not(None),
            o.lease_until >= now,
            o.lease_owner != owner if owner else true(),
        )
        j = t.outbox.join(t.subscriptions, o.subscription_id == s.id)
        next_try = func.min(o.next_attempt_at)
        async with self.engine.connect() as conn:
            totals = (
                await conn.execute(
                    select(
                        func.count().filter(waiting),
                        func.count().filter(and_(waiting, due)),
                        func.count().filter(and_(waiting, due, held)),
                        func.count().filter(o.status == "failed"),
                        func.min(o.created_at).filter(waiting),
                    )
                )
            ).one()
            # Most rows first; among equals the soonest tried (due now first),
            # so every front end lists the same reasons in the same order.
            reasons = await conn.execute(
                select(s.platform, o.last_error, func.count(), next_try)
                .select_from(j)
                .where(waiting)
                .group_by(s.platform, o.last_error)
                .order_by(
                    func.count().desc(),
                    s.platform,
                    next_try.is_not(None),
                    next_try,
                    func.coalesce(o.last_error, ""),
                )
            )
            return OutboxBacklog(
                now=now,
                waiting=int(totals[0]),
                due=int(totals[1]),
                held_elsewhere=int(totals[2]),
                failed=int(totals[3]),
                oldest=totals[4],
                reasons=tuple(
                    WaitReason(platform=r[0], error=r[1], rows=int(r[2]), next_attempt=r[3])
                    for r in reasons
                ),
            )

    async def outbox_entries(
        self, *, statuses: Sequence[str] = ("pending", "sending", "failed"), limit: int = 200
    ) -> list[OutboxEntry]:
        """Outbox rows in these states, oldest first, at most ``limit``."""
        o, s = t.outbox.c, t.subscriptions.c
        stmt = (
            select(t.outbox, s.platform, s.channel, s.storyline)
            .select_from(t.outbox.join(t.subscriptions, o.subscription_id == s.id))
            .where(o.status.in_(list(statuses)))
            .order_by(o.id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [
                OutboxEntry(
                    id=r.id,
                    channel=str(ChannelAddress(r.platform, r.channel)),
                    storyline=r.storyline,
                    kind=str(r.kind),
                    status=r.status,
                    attempts=r.attempts,
                    unreachable=r.unreachable,
                    created_at=r.created_at,
                    next_attempt=r.next_attempt_at,
                    last_error=r.last_error,
                )
                for r in await conn.execute(stmt)
            ]

    async def requeue_outbox(self, *, include_failed: bool = False) -> tuple[int, int]:
        """Make waiting rows due at once (and, with ``include_failed``, give failed
        rows of enabled subscriptions a fresh start). Claims are left alone: a
        row another process is sending stays its own. Returns (re-queued, failed
        rows left because their subscription is disabled)."""
        o = t.outbox.c
        enabled = select(t.subscriptions.c.id).where(t.subscriptions.c.enabled.is_(True))
        async with self.engine.begin() as conn:
            waiting = await conn.execute(
                update(t.outbox)
                .where(o.status.in_(["pending", "sending"]), o.next_attempt_at.is_not(None))
                .values(next_attempt_at=None)
            )
            requeued = max(waiting.rowcount, 0)
            left = 0
            if include_failed:
                failed = await conn.execute(
                    update(t.outbox)
                    .where(o.status == "failed", o.subscription_id.in_(enabled))
                    .values(
                        status="pending",
                        attempts=0,
                        unreachable=0,
                        next_attempt_at=None,
                        lease_owner=None,
                        lease_until=None,
                    )
                )
                requeued += max(failed.rowcount, 0)
                left = int(
                    await conn.scalar(
                        select(func.count()).select_from(t.outbox).where(o.status == "failed")
                    )
                    or 0
                )
            return requeued, left
