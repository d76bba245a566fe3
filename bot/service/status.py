"""The admins' status page: feed health, the outbox, storyline states.

Read-only (nothing is claimed, leased or recorded), so it is safe beside a
running bot. Who is an admin is the caller's server-side decision; for anyone
else the report carries the storyline states only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.backlog import OutboxBacklog
from bot.core.items import Feed
from bot.core.render import fact_line
from bot.core.status import (
    HEALTH_ORDER,
    FactState,
    FeedHealth,
    StatusReport,
    StorylineState,
)
from bot.core.storyline import Storyline
from bot.ports import Clock
from bot.service.ledger import FactLedger


class StatusStore(Protocol):
    """What the status page needs of the Store."""

    async def feeds(self, *, enabled_only: bool = False) -> list[Feed]: ...

    async def outbox_backlog(self, now: datetime, owner: str | None = None) -> OutboxBacklog:
        """What the outbox holds at ``now`` and why it waits (rows under a live
        claim of a process other than ``owner`` count as held elsewhere).
        Reads only: claims nothing."""


def feed_health(feed: Feed) -> FeedHealth:
    health = "disabled" if not feed.enabled else feed.status
    if health not in HEALTH_ORDER:
        health = "failing" if feed.failures else "ok"
    return FeedHealth(
        id=feed.id,
        name=feed.name,
        url=feed.url,
        health=health,
        failures=feed.failures,
        last_success_at=feed.last_success_at,
        last_error=feed.last_error,
        error_code=feed.error_code,
        next_poll_at=feed.next_poll_at if feed.enabled else None,
        disabled_reason=(feed.error_code or "by an admin") if not feed.enabled else None,
    )


class StatusService:
    def __init__(
        self,
        store: StatusStore,
        ledger: FactLedger,
        storylines: Sequence[Storyline],
        clock: Clock,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.storylines = list(storylines)
        self.clock = clock
        # This process's lease owner: what its own delivery worker holds is not
        # "held by other processes" on its own status page.
        self.owner = owner

    async def report(self, *, admin: bool) -> StatusReport:
        """The status as ``admin`` (or not) may see it."""
        now = self.clock.now()
        states = (await self.ledger.load(record=False)).states
        storylines = []
        for s in self.storylines:
            facts = []
            for spec in s.facts:
                view = states.get((s.id, spec.id))
                line = fact_line(spec, view)
                facts.append(
                    FactState(
                        spec.label,
                        line.value,
                        since=view.since if view is not None else None,
                        source=line.source,
                        disputed=line.disputed,
                    )
                )
            storylines.append(StorylineState(s.id, s.title, s.status, tuple(facts)))
        if not admin:
            return StatusReport(now, False, tuple(storylines))
        feeds = sorted(
            (feed_health(f) for f in await self.store.feeds()),
            key=lambda f: (HEALTH_ORDER.get(f.health, 9), -f.failures, f.id),
        )
        outbox = await self.store.outbox_backlog(now, self.owner)
        return StatusReport(now, True, tuple(storylines), tuple(feeds), outbox)
