"""Fact-timeline pictures: the ledger's history of a storyline, drawn as a PNG.

The drawing is an adapter's (``bot.render_png``) behind ``TimelinePainter``;
this service only gathers what the picture shows from the fact ledger.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from bot.core.fact_lanes import TimelinePicture, storyline_picture
from bot.core.models import Attachment, Storyline
from bot.ports import Clock
from bot.service.ledger import FactLedger


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
