"""Storyline drafts from the stored news: the use case behind ``threadline
storylines suggest`` and the candidate list an admin home shows.

Reads the items stored in the last days, leaves out those an open storyline
took (a stored match) or would take now (the live matcher), and hands the rest
to :func:`bot.core.suggest.suggest`. Writing the drafts is the caller's part.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.items import Entry
from bot.core.storyline import Storyline
from bot.core.suggest import Suggestion, SuggestSettings, suggest
from bot.ports import Clock

#: At most this many stored items are read (the newest).
MAX_ITEMS = 50_000


class DraftStore(Protocol):
    """What drafting needs of the Store."""

    async def entries_since(self, since: datetime, limit: int = ...) -> list[Entry]:
        """Every stored item published since ``since`` (UTC), oldest first."""

    async def matched_item_keys(
        self, since: datetime, storylines: Collection[str]
    ) -> set[tuple[int, str]]:
        """(feed id, item key) of the items since ``since`` that matched one of
        ``storylines``."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A candidate story as a list shows it."""

    id: str
    title: str
    items: int
    outlets: tuple[str, ...]
    last: datetime


class StorylineDrafts:
    def __init__(
        self,
        store: DraftStore,
        storylines: Sequence[Storyline],
        clock: Clock,
        settings: SuggestSettings | None = None,
        commonness: Callable[[str], float] | None = None,
    ) -> None:
        """``commonness``: a word's Zipf frequency (wordfreq), so that very common
        words are no topics of a draft; none when not given."""
        self.store = store
        self.commonness = commonness
        self.storylines = list(storylines)
        self.clock = clock
        self.settings = settings or SuggestSettings()

    async def suggestions(self, days: float = 30.0) -> list[Suggestion]:
        """Candidate stories among the items stored in the last ``days`` days
        that no open storyline matched, each with its draft."""
        now = self.clock.now()
        since = now - timedelta(days=days)
        entries = await self.store.entries_since(since, limit=MAX_ITEMS)
        open_ids = [s.id for s in self.storylines if s.status == "open"]
        matched = await self.store.matched_item_keys(since, open_ids)
        return suggest(
            entries,
            self.storylines,
            now=now,
            since=timedelta(days=days),
            matched=matched,
            settings=self.settings,
            commonness=self.commonness,
        )

    async def candidates(self, days: float = 30.0) -> list[Candidate]:
        """The candidates only (title, item count, outlets, last date), most
        recent story first: what the admin home lists."""
        found = await self.suggestions(days)
        return sorted(
            (Candidate(s.id, s.title, len(s.items), s.outlets, s.last) for s in found),
            key=lambda c: c.last,
            reverse=True,
        )
