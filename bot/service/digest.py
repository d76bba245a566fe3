"""Daily digests: each digest channel's gathered coverage, once a day, as one reply.

``Digests.produce_due`` is run before each delivery (the bot's delivery loop,
``run --once``). For every subscription with a digest whose time has come
since its last one (by the injected clock), it gathers the items held for it
and records, in one transaction, the digest reply in the outbox (the delivery
worker sends it like any reply) and the items as digested. The digest of a
(subscription, day) is recorded once whatever processes try: the first insert
of that key wins, the others write nothing. A day with nothing gathered posts
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from bot.core.digest import Gathered, digest_reply, due
from bot.core.posts import Reply
from bot.core.storyline import Storyline
from bot.core.subscriptions import Subscription
from bot.ports import Clock
from bot.storage.audit_log import AuditLog

log = logging.getLogger(__name__)


class DigestStore(Protocol):
    """What producing digests needs of the Store."""

    async def subscriptions(
        self, *, storyline: str | None = None, enabled_only: bool = True
    ) -> list[Subscription]: ...

    async def gathered(self, subscription_id: int) -> list[tuple[int, Gathered]]: ...

    async def record_digest(
        self,
        subscription_id: int,
        day: date,
        until: datetime,
        reply: Reply | None,
        rows: Sequence[int],
        now: datetime,
    ) -> bool: ...


class Digests:
    def __init__(
        self,
        *,
        store: DigestStore,
        storylines: Sequence[Storyline],
        clock: Clock,
        audit: AuditLog,
    ) -> None:
        self.store = store
        self.storylines = {s.id: s for s in storylines}
        self.clock = clock
        self.audit = audit

    async def produce_due(self) -> int:
        """Record every digest that is due; return how many were queued to post."""
        now = self.clock.now()
        queued = 0
        for sub in await self.store.subscriptions():
            if sub.digest is None or sub.storyline not in self.storylines:
                continue
            slot = due(sub.digest, sub.digest_since, now)
            if slot is None:
                continue
            day, at = slot
            held = await self.store.gathered(sub.id)
            reply = digest_reply(self.storylines[sub.storyline], day, [g for _, g in held])
            rows = [row_id for row_id, _ in held]
            if not await self.store.record_digest(sub.id, day, at, reply, rows, now):
                continue  # another instance (or an earlier run) made this one
            log.info(
                "digest of %s for %s on %s: %d items", sub.storyline, sub.address, day, len(rows)
            )
            self.audit.write(
                [
                    {
                        "event": "digest.produced",
                        "storyline": sub.storyline,
                        "channel": str(sub.address),
                        "day": day.isoformat(),
                        "items": len(rows),
                        "posted": reply is not None,
                    }
                ]
            )
            queued += reply is not None
        return queued
