"""The delivery worker: drains outbox rows into the chat platforms.

Each row is sent at most once in effect: the row is marked ``sending`` (and
committed) before the send, and a row found in ``sending`` after a crash is
first looked for on the platform (``find_sent``) before it is sent again.
Rows of one channel go in order and are paced by the platform's limits;
channels are independent, so one bad channel never holds up the others.

No row is given up because a platform is down: a row waits with a back-off that
grows to at most ``RETRY_CAP`` between tries, for as long as its channel exists.
Only an answer that says the channel is gone or forbidden ends it (and disables
the subscription). ``attempts`` counts the platform's answers; a try that found
the platform unreachable counts in ``unreachable`` instead, and a process killed
mid-send spends neither.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.backlog import OutboxBacklog
from bot.core.posts import Card, MessageRef, PostKind
from bot.core.render import card
from bot.core.storyline import Storyline
from bot.errors import (
    ChannelUnavailable,
    DeliveryError,
    PlatformDown,
    PlatformUnreachable,
    RetryLater,
    ThreadGone,
)
from bot.ports import ChatPlatform, Clock
from bot.service.absorb import edit_sent_reply
from bot.service.ledger import FactLedger
from bot.storage.audit_log import AuditLog
from bot.storage.records import EditTarget, OutboxRow

log = logging.getLogger(__name__)

RETRY_BASE = 5.0
#: The longest wait between two tries of a row (a platform's Retry-After may ask more).
RETRY_CAP = 900.0


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    disabled: list[str] = field(default_factory=list)
    #: Platforms found down in this drain (their other rows wait with the first).
    down: set[str] = field(default_factory=set)


class DeliveryStore(Protocol):
    """What delivery needs of the Store."""

    async def claim_outbox(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        platforms: Iterable[str],
        limit: int = 100,
    ) -> list[OutboxRow]: ...

    async def mark_sending(self, row_id: int) -> None: ...

    async def mark_sent(self, row_id: int, message_id: str | None, now: datetime) -> None: ...

    async def mark_retry(
        self,
        row_id: int,
        error: str,
        at: datetime,
        *,
        answered: bool | None = True,
        maybe_sent: bool = False,
    ) -> None:
        """Put the row back to wait until ``at``. ``answered``: True, the platform
        answered (an attempt); False, it was unreachable (counted apart); None,
        not tried. ``maybe_sent``: keep it ``sending`` (look before resending)."""

    async def mark_failed(self, row_id: int, error: str, status: str = "failed") -> None: ...

    async def set_root(self, subscription_id: int, root: MessageRef | None) -> None: ...

    async def disable_subscription(self, subscription_id: int, reason: str) -> None: ...

    async def outbox_backlog(self, now: datetime, owner: str | None = None) -> OutboxBacklog: ...

    async def edit_target(self, row_id: int) -> EditTarget | None: ...


class Deliverer:
    def __init__(
        self,
        *,
        store: DeliveryStore,
        ledger: FactLedger,
        platforms: Mapping[str, ChatPlatform],
        storylines: Sequence[Storyline],
        clock: Clock,
        audit: AuditLog,
        owner: str,
        lease: timedelta = timedelta(minutes=2),
        notify_admins: Callable[[str], Awaitable[None]] | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.platforms = dict(platforms)
        self.storylines = {s.id: s for s in storylines}
        self.clock = clock
        self.audit = audit
        self.owner = owner
        self.ledger = ledger
        self.lease = lease
        self.notify_admins = notify_admins
        self._sleep = sleep
        self._last_post: dict[str, float] = {}
        # platform → why it was last found down, and when its first row is tried next
        self._down: dict[str, tuple[str, datetime]] = {}

    async def drain(self, *, max_rounds: int = 50) -> DeliveryReport:
        """Send what is due until nothing claimable is left (or ``max_rounds``)."""
        report = DeliveryReport()
        for _ in range(max_rounds):
            rows = await self.store.claim_outbox(
                self.owner, self.clock.now(), self.lease, self.platforms
            )
            if not rows:
                break
            cards = await self._cards()
            by_channel: dict[str, list[OutboxRow]] = defaultdict(list)
            for row in rows:
                by_channel[str(row.subscription.address)].append(row)
            await asyncio.gather(
                *(self._channel(rows, cards, report) for rows in by_channel.values())
            )
        return report

    async def backlog(self) -> OutboxBacklog:
        """What the outbox holds now and why it waits (for ``status``, the App
        Home and ``run --once``); rows other processes hold are told apart."""
        return await self.store.outbox_backlog(self.clock.now(), self.owner)

    async def _cards(self) -> dict[str, Card]:
        facts = await self.ledger.load()
        now = self.clock.now()
        return {sid: card(s, facts.of(sid), updated=now) for sid, s in self.storylines.items()}

    async def _channel(
        self, rows: Sequence[OutboxRow], cards: Mapping[str, Card], report: DeliveryReport
    ) -> None:
        # One channel may follow several storylines: one thread (root) each.
        roots: dict[int, MessageRef | None] = {}
        fresh: set[int] = set()  # roots posted in this drain: they show the current card
        disabled: set[int] = set()
        for row in rows:
            sub = row.subscription
            if sub.id in disabled or not sub.enabled:
                await self.store.mark_failed(row.id, "subscription disabled", status="skipped")
                continue
            platform = self.platforms[sub.address.platform]
            if sub.address.platform in report.down:
                # Found down a moment ago in this drain: each row would only find
                # out again (or wait out the same timeout). It waits with the first,
                # untried, so nothing is counted against it.
                reason, until = self._down[sub.address.platform]
                await self.store.mark_retry(
                    row.id, reason, until, answered=None, maybe_sent=row.status == "sending"
                )
                report.retried += 1
                continue
            root = roots.get(sub.id, sub.root)
            if row.kind is PostKind.EDIT_ROOT and sub.id in fresh:
                await self.store.mark_sent(row.id, None, self.clock.now())
                continue
            try:
                try:
                    roots[sub.id] = await self._send(platform, row, root, cards[sub.storyline])
                except ThreadGone:
                    if root is None:
                        raise
                    # A locked or deleted thread: start a new root and send there.
                    log.info(
                        "thread of %s in %s is gone; starting a new one", sub.storyline, sub.address
                    )
                    await self.store.set_root(sub.id, None)
                    root = roots[sub.id] = None
                    roots[sub.id] = await self._send(platform, row, None, cards[sub.storyline])
                if root is None and row.kind is not PostKind.EDIT_REPLY:
                    fresh.add(sub.id)
            except ChannelUnavailable as exc:
                disabled.add(sub.id)
                await self._disable(row, exc, report)
                continue
            except PlatformDown as exc:
                at = await self._retry(
                    row, exc, report, answered=not isinstance(exc, PlatformUnreachable)
                )
                report.down.add(sub.address.platform)
                self._down[sub.address.platform] = (f"{exc.code}: {exc.message}", at)
                continue
            except DeliveryError as exc:
                await self._retry(row, exc, report)
                continue
            except Exception:
                # Not an expected platform error: leave the row for a later try.
                await self.store.mark_retry(
                    row.id, "internal error", self._later(row, None), maybe_sent=True
                )
                raise
            report.sent += 1

    async def _send(
        self, platform: ChatPlatform, row: OutboxRow, root: MessageRef | None, root_card: Card
    ) -> MessageRef | None:
        if row.kind is PostKind.EDIT_REPLY:
            # An edit of a sent reply: never a new post, never a new root.
            await edit_sent_reply(self.store, platform, row, root, self.clock.now(), self.audit)
            return root
        sub = row.subscription
        channel = sub.address.channel
        key = f"tl-{row.id}"
        resend = row.status == "sending"
        await self.store.mark_sending(row.id)
        if root is None:
            root_key = f"tl-root-{sub.id}-{row.id}"
            found = await platform.find_sent(channel, root_key) if resend else None
            if found is None:
                await self._pace(platform, str(sub.address))
                found = await platform.post_root(channel, root_card, idempotency_key=root_key)
            root = found
            await self.store.set_root(sub.id, root)
            if row.kind in (PostKind.ROOT, PostKind.EDIT_ROOT):
                await self.store.mark_sent(row.id, root.message_id, self.clock.now())
                return root
        if row.kind is PostKind.ROOT:
            await self.store.mark_sent(row.id, root.message_id, self.clock.now())
        elif row.kind is PostKind.EDIT_ROOT:
            await self._pace(platform, str(sub.address))
            await platform.edit_root(channel, root, root_card)
            await self.store.mark_sent(row.id, root.message_id, self.clock.now())
        else:
            sent = await platform.find_sent(channel, key, thread=root) if resend else None
            if sent is None:
                await self._pace(platform, str(sub.address))
                if row.reply is None:  # decode_reply gives every reply row its reply
                    raise ValueError(f"outbox row {row.id} is a reply without one")
                reply = row.reply
                sent = await platform.post_reply(channel, root, reply, idempotency_key=key)
            await self.store.mark_sent(row.id, sent.message_id, self.clock.now())
        self.audit.write(
            [
                {
                    "event": "delivery.sent",
                    "outbox": row.id,
                    "kind": row.kind.value,
                    "channel": str(sub.address),
                    "storyline": sub.storyline,
                }
            ]
        )
        return root

    async def _pace(self, platform: ChatPlatform, channel: str) -> None:
        interval = platform.limits.per_channel_interval
        loop = asyncio.get_running_loop()
        last = self._last_post.get(channel)
        if last is not None and interval > 0:
            wait = last + interval - loop.time()
            if wait > 0:
                await self._sleep(wait)
        self._last_post[channel] = loop.time()

    def _later(self, row: OutboxRow, retry_after: float | None) -> datetime:
        """When to try ``row`` again: 5 s doubling with every try so far (answered
        or not), at most ``RETRY_CAP``; longer only when the platform asked."""
        tries = max(row.attempts + row.unreachable, 0)
        wait = RETRY_CAP if tries >= 16 else min(RETRY_BASE * 2**tries, RETRY_CAP)
        if retry_after:
            wait = max(wait, retry_after)
        return self.clock.now() + timedelta(seconds=wait)

    async def _retry(
        self, row: OutboxRow, exc: DeliveryError, report: DeliveryReport, *, answered: bool = True
    ) -> datetime:
        """Put ``row`` back to wait; returns when it is tried next. A row whose
        send may have reached the platform (no answer, or an earlier try that
        ended unknown) stays ``sending``, so it is looked for before a resend."""
        log.warning(
            "could not deliver to %s (%s: %s); will retry",
            row.subscription.address,
            exc.code,
            exc.message,
        )
        retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
        at = self._later(row, retry_after)
        await self.store.mark_retry(
            row.id,
            f"{exc.code}: {exc.message}",
            at,
            answered=answered,
            maybe_sent=row.status == "sending" or not answered,
        )
        report.retried += 1
        return at

    async def _disable(self, row: OutboxRow, exc: DeliveryError, report: DeliveryReport) -> None:
        sub = row.subscription
        reason = f"{exc.code}: {exc.message}"
        await self.store.disable_subscription(sub.id, reason)
        await self.store.mark_failed(row.id, reason)
        report.failed += 1
        report.disabled.append(f"{sub.address} ({sub.storyline})")
        message = (
            f"Stopped posting {sub.storyline} to {sub.address}: {exc.message} ({exc.code}). "
            "Fix the channel or permissions, then follow the storyline again."
        )
        log.error(message)
        self.audit.write(
            [
                {
                    "event": "delivery.failed",
                    "outbox": row.id,
                    "channel": str(sub.address),
                    "storyline": sub.storyline,
                    "code": exc.code,
                    "error": exc.message,
                    "subscription_disabled": True,
                }
            ]
        )
        if self.notify_admins is not None:
            await self.notify_admins(message)
