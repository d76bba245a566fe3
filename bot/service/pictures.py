"""Fact-timeline pictures: the ledger's history of a storyline, drawn as a PNG.

The drawing is an adapter's (``bot.render_png``) behind ``TimelinePainter``;
this service only gathers what the picture shows from the fact ledger.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.fact_lanes import TimelinePicture, storyline_picture
from bot.core.posts import Attachment, Card, FactLine, MessageRef, Reply
from bot.core.storyline import Storyline
from bot.ports import ChatPlatform, Clock
from bot.service.ledger import FactLedger

log = logging.getLogger(__name__)


class TimelinePainter(Protocol):
    def paint(self, picture: TimelinePicture) -> bytes:
        """The picture as PNG bytes. Synchronous and CPU-bound (callers run it
        off the event loop); never touches the network or the database."""


class TimelinePictures:
    def __init__(self, ledger: FactLedger, painter: TimelinePainter, clock: Clock) -> None:
        self.ledger = ledger
        self.painter = painter
        self.clock = clock

    async def picture(self, storyline: Storyline) -> TimelinePicture:
        """What ``storyline``'s picture shows now (read-only: nothing is recorded)."""
        facts = await self.ledger.load(record=False)
        histories, claims = {}, {}
        for spec in storyline.facts:
            fact_claims = facts.claims.get((storyline.id, spec.id), ())
            claims[spec.id] = fact_claims
            histories[spec.id] = self.ledger.history(storyline, spec, fact_claims)
        return storyline_picture(storyline, histories, claims, self.clock.now())

    async def png(self, storyline: Storyline) -> Attachment:
        """``storyline``'s timeline as a PNG attachment."""
        picture = await self.picture(storyline)
        data = await asyncio.to_thread(self.painter.paint, picture)
        return Attachment(
            filename=f"timeline-{storyline.id}.png",
            data=data,
            title=f"{storyline.title}: fact timeline",
        )


class PicturedCards:
    """A ``ChatPlatform`` that puts the storyline's latest timeline picture on
    every root card it posts or edits, then hands the card to ``inner``.

    A picture is drawn once per storyline and card content (a fact change makes
    a new one) and reused for ``max_age``; a picture that cannot be drawn is
    logged and the card goes without it: a picture never holds a post back."""

    def __init__(
        self,
        inner: ChatPlatform,
        pictures: TimelinePictures,
        storylines: Sequence[Storyline],
        clock: Clock,
        *,
        max_age: timedelta = timedelta(hours=1),
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.limits = inner.limits
        self.pictures = pictures
        self.storylines = {s.id: s for s in storylines}
        self.clock = clock
        self.max_age = max_age
        self._drawn: dict[str, tuple[tuple[FactLine, ...], datetime, Attachment]] = {}

    async def _pictured(self, card: Card) -> Card:
        storyline = self.storylines.get(card.storyline)
        if storyline is None:
            return card
        now = self.clock.now()
        drawn = self._drawn.get(card.storyline)
        if drawn is None or drawn[0] != card.facts or now - drawn[1] > self.max_age:
            try:
                picture = await self.pictures.png(storyline)
            except Exception:
                log.exception("the timeline picture of %s could not be drawn", card.storyline)
                return card
            drawn = (card.facts, now, picture)
            self._drawn[card.storyline] = drawn
        return replace(card, picture=drawn[2])

    async def post_root(self, channel: str, card: Card, *, idempotency_key: str) -> MessageRef:
        pictured = await self._pictured(card)
        return await self.inner.post_root(channel, pictured, idempotency_key=idempotency_key)

    async def edit_root(self, channel: str, root: MessageRef, card: Card) -> None:
        await self.inner.edit_root(channel, root, await self._pictured(card))

    async def post_reply(
        self, channel: str, thread: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> MessageRef:
        return await self.inner.post_reply(channel, thread, reply, idempotency_key=idempotency_key)

    async def edit_reply(
        self, channel: str, message: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> None:
        await self.inner.edit_reply(channel, message, reply, idempotency_key=idempotency_key)

    async def post_notice(self, channel: str, notice: Reply, *, idempotency_key: str) -> MessageRef:
        return await self.inner.post_notice(channel, notice, idempotency_key=idempotency_key)

    async def find_sent(
        self, channel: str, idempotency_key: str, *, thread: MessageRef | None = None
    ) -> MessageRef | None:
        return await self.inner.find_sent(channel, idempotency_key, thread=thread)

    async def close(self) -> None:
        await self.inner.close()
