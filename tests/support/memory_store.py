"""An in-memory Store for service tests: the subscriptions, outbox, feeds, claims
and fact states that ``DeliveryStore``, ``CommandStore`` and ``LedgerStore`` ask
for, kept in dicts, with the real Store's semantics (leases against the time the
caller passes, a row sent once, a removed feed kept aside, a first state never
overwritten). ``tests/service/test_store_contract.py`` runs the same assertions
against this and the SQLite Store, so the two cannot drift apart.

The poll cycle's ``PollStore`` (items, dedupe, ``record_cycle``) is not here: its
tests are about what is written in one transaction, and stay on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from bot.core.backlog import OutboxBacklog, WaitReason
from bot.core.facts import Claim, FactKey, FactView
from bot.core.items import Feed, FeedSeed
from bot.core.posts import MessageRef, PostKind, Reply
from bot.core.subscriptions import ChannelAddress, DigestSchedule, Subscription
from bot.errors import ErrorCode
from bot.storage.records import EditTarget, OutboxRow, decode_reply, encode_post, plain_text


@dataclass(slots=True)
class _Outbox:
    """One outbox row, mutable as the table's row is."""

    id: int
    subscription_id: int
    kind: PostKind
    payload: dict[str, Any]  # through encode_post/decode_reply, as the real column
    status: str = "pending"
    attempts: int = 0
    unreachable: int = 0
    next_attempt_at: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    message_id: str | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None


class MemoryStore:
    """The Store's delivery, command and ledger parts, in memory."""

    def __init__(self) -> None:
        self._subs: dict[int, Subscription] = {}
        self._outbox: dict[int, _Outbox] = {}
        self._feeds: dict[int, Feed] = {}
        self._removed: set[int] = set()
        self._claims: list[Claim] = []
        self._states: dict[FactKey, FactView] = {}
        # One id sequence per table, as the database has.
        self._sub_ids, self._row_ids, self._feed_ids = count(1), count(1), count(1)

    # --- what tests put in that the real Store writes in a poll cycle ----------------------

    def queue(
        self,
        subscription_id: int,
        kind: PostKind,
        reply: Reply | None = None,
        now: datetime | None = None,
    ) -> int:
        """Queue an outbox row (the real Store does it in ``record_cycle``)."""
        sub = self._subs[subscription_id]
        row_id = next(self._row_ids)
        payload = encode_post(kind, sub.storyline, reply)
        self._outbox[row_id] = _Outbox(row_id, subscription_id, kind, payload, created_at=now)
        if kind is PostKind.DIGEST_ITEM:
            self._outbox[row_id].status = "held"  # as record_cycle holds it
        return row_id

    def add_claims(self, claims: Iterable[Claim]) -> None:
        """Store claims (the real Store does it in ``record_cycle``)."""
        self._claims.extend(claims)

    # --- subscriptions ----------------------------------------------------------------------

    async def subscriptions(
        self, *, storyline: str | None = None, enabled_only: bool = True
    ) -> list[Subscription]:
        return [
            s
            for _id, s in sorted(self._subs.items())
            if (not storyline or s.storyline == storyline) and (s.enabled or not enabled_only)
        ]

    async def follow(
        self, address: ChannelAddress, storyline: str, now: datetime
    ) -> tuple[Subscription, bool]:
        """As ``Store.follow``: (re-)enable and queue the root card."""
        found = [
            s
            for s in self._subs.values()
            if (s.address.platform, s.address.channel, s.storyline)
            == (address.platform, address.channel, storyline)
        ]
        if found and found[0].enabled:
            return found[0], False
        if found:
            sub = replace(found[0], enabled=True, disabled_reason=None)
        else:
            sub = Subscription(next(self._sub_ids), address, storyline, enabled=True)
        self._subs[sub.id] = sub
        self.queue(sub.id, PostKind.ROOT, now=now)
        return sub, True

    async def unfollow(self, address: ChannelAddress, storyline: str) -> bool:
        for sub in list(self._subs.values()):
            if (sub.address.platform, sub.address.channel, sub.storyline) == (
                address.platform,
                address.channel,
                storyline,
            ):
                del self._subs[sub.id]
                # The outbox rows go with it (ON DELETE CASCADE).
                for row in [r for r in self._outbox.values() if r.subscription_id == sub.id]:
                    del self._outbox[row.id]
                return True
        return False

    async def disable_subscription(self, subscription_id: int, reason: str) -> None:
        sub = self._subs[subscription_id]
        self._subs[subscription_id] = replace(sub, enabled=False, disabled_reason=reason)

    async def set_root(self, subscription_id: int, root: MessageRef | None) -> None:
        self._subs[subscription_id] = replace(self._subs[subscription_id], root=root)

    async def set_digest(
        self, subscription_id: int, digest: DigestSchedule | None, now: datetime
    ) -> int:
        """As ``Store.set_digest``: on starts gathering at ``now``, a new time
        keeps what was gathered, off drops the held items (returns how many)."""
        sub = self._subs[subscription_id]
        if digest is None:
            self._subs[subscription_id] = replace(sub, digest=None, digest_since=None)
            held = [
                r
                for r in self._outbox.values()
                if r.subscription_id == subscription_id and r.status == "held"
            ]
            for r in held:
                r.status, r.last_error = "skipped", "digest turned off"
            return len(held)
        since = sub.digest_since if sub.digest is not None else now
        self._subs[subscription_id] = replace(sub, digest=digest, digest_since=since)
        return 0

    async def edit_target(self, row_id: int) -> EditTarget | None:
        """As ``Store.edit_target``. This double keeps no items, so no edit row
        here repeats a story with a sent reply: there is never a target."""
        return None

    # --- outbox -----------------------------------------------------------------------------

    async def claim_outbox(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        platforms: Iterable[str],
        limit: int = 100,
    ) -> list[OutboxRow]:
        """As ``Store.claim_outbox``: due, unleased rows of these platforms, oldest first."""
        wanted = set(platforms)
        due = [
            r
            for _id, r in sorted(self._outbox.items())
            if r.status in ("pending", "sending")
            and self._subs[r.subscription_id].address.platform in wanted
            and (r.next_attempt_at is None or r.next_attempt_at <= now)
            and (r.lease_until is None or r.lease_until < now)
        ][:limit]
        for r in due:
            r.lease_owner, r.lease_until = owner, now + lease
        return [
            OutboxRow(
                id=r.id,
                subscription=self._subs[r.subscription_id],
                kind=r.kind,
                reply=decode_reply(r.kind, r.payload),
                attempts=r.attempts,
                status=r.status,
                unreachable=r.unreachable,
            )
            for r in due
        ]

    async def mark_sending(self, row_id: int) -> None:
        row = self._outbox[row_id]
        row.status = "sending"  # spends no attempt: a kill mid-send used none

    async def mark_sent(self, row_id: int, message_id: str | None, now: datetime) -> None:
        row = self._outbox[row_id]
        row.status, row.message_id, row.sent_at, row.last_error = "sent", message_id, now, None
        row.lease_owner = row.lease_until = None

    async def mark_retry(
        self,
        row_id: int,
        error: str,
        at: datetime,
        *,
        answered: bool | None = True,
        maybe_sent: bool = False,
    ) -> None:
        row = self._outbox[row_id]
        if answered is True:
            row.attempts += 1
        elif answered is False:
            row.unreachable += 1
        row.status = "sending" if maybe_sent else "pending"
        row.next_attempt_at, row.last_error = at, plain_text(error)
        row.lease_owner = row.lease_until = None

    async def mark_failed(self, row_id: int, error: str, status: str = "failed") -> None:
        row = self._outbox[row_id]
        row.status, row.last_error = status, plain_text(error)
        row.lease_owner = row.lease_until = None

    async def outbox_backlog(self, now: datetime, owner: str | None = None) -> OutboxBacklog:
        """As ``Store.outbox_backlog``."""
        waiting = [r for r in self._outbox.values() if r.status in ("pending", "sending")]
        due = [r for r in waiting if r.next_attempt_at is None or r.next_attempt_at <= now]
        held = [
            r
            for r in due
            if r.lease_until is not None and r.lease_until >= now and r.lease_owner != owner
        ]
        groups: dict[tuple[str, str | None], list[_Outbox]] = {}
        for r in waiting:
            platform = self._subs[r.subscription_id].address.platform
            groups.setdefault((platform, r.last_error), []).append(r)
        reasons = sorted(
            (
                WaitReason(
                    platform=platform,
                    error=error,
                    rows=len(rows),
                    next_attempt=min(
                        (r.next_attempt_at for r in rows if r.next_attempt_at), default=None
                    ),
                )
                for (platform, error), rows in groups.items()
            ),
            key=lambda w: (
                -w.rows,
                w.platform,
                w.next_attempt is not None,
                w.next_attempt or now,
                w.error or "",
            ),
        )
        return OutboxBacklog(
            now=now,
            waiting=len(waiting),
            due=len(due),
            held_elsewhere=len(held),
            failed=sum(r.status == "failed" for r in self._outbox.values()),
            oldest=min((r.created_at for r in waiting if r.created_at), default=None),
            reasons=tuple(reasons),
        )

    async def recover_leases(self, owner: str | None) -> None:
        """The outbox half of ``Store.recover_leases`` (no feed is leased here)."""
        for r in self._outbox.values():
            if r.lease_owner is not None and owner in (None, r.lease_owner):
                r.lease_owner = r.lease_until = None

    # --- feeds ------------------------------------------------------------------------------

    async def feeds(self, *, enabled_only: bool = False) -> list[Feed]:
        return [
            f
            for fid, f in sorted(self._feeds.items())
            if fid not in self._removed and (f.enabled or not enabled_only)
        ]

    async def feed_by_url(self, url: str) -> Feed | None:
        return next((f for f in await self.feeds() if f.url == url), None)

    async def add_feed(self, seed: FeedSeed, origin: str, now: datetime) -> tuple[Feed, bool]:
        """As ``Store.add_feed``: a removed feed comes back with a fresh start."""
        old = next((f for f in self._feeds.values() if f.url == seed.url), None)
        if old is not None and old.id not in self._removed:
            return old, False
        feed = Feed(
            id=old.id if old is not None else next(self._feed_ids),
            url=seed.url,
            name=seed.name,
            interval_seconds=seed.interval_seconds,
            enabled=True,
            status="new",
            origin=origin,
            tags=tuple(seed.tags),
            next_poll_at=now,
        )
        self._feeds[feed.id] = feed
        self._removed.discard(feed.id)
        return feed, True

    async def remove_feed(self, ref: str) -> Feed | None:
        """As ``Store.remove_feed`` (by id or URL): kept aside, returned as it was."""
        live = await self.feeds()
        feed = next(
            (f for f in live if (f.id == int(ref) if ref.isdigit() else f.url == ref)), None
        )
        if feed is None:
            return None
        self._removed.add(feed.id)
        self._feeds[feed.id] = replace(
            feed, enabled=False, status="disabled", error_code=ErrorCode.REMOVED
        )
        return feed

    # --- claims and fact states -------------------------------------------------------------

    async def claims(self) -> dict[FactKey, list[Claim]]:
        out: dict[FactKey, list[Claim]] = {}
        for c in sorted(self._claims, key=lambda c: c.published):
            out.setdefault((c.storyline, c.fact), []).append(c)
        return out

    async def fact_states(self) -> dict[FactKey, FactView]:
        return dict(self._states)

    async def save_first_states(self, views: Sequence[FactView], now: datetime) -> None:
        """A state already recorded is left as it is. Contenders keep what the real
        column keeps (not the evidence, not the seeded flag)."""
        for v in views:
            contenders = tuple(replace(c, evidence="", seeded=False) for c in v.contenders)
            self._states.setdefault((v.storyline, v.fact), replace(v, contenders=contenders))
