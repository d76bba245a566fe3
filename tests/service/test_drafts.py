"""The drafting use case over stored items: what the admin home lists
(title, item count, outlets, last date), with the clock injected and the items
a storyline took left out."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.items import Entry
from bot.core.storyline import Storyline
from bot.service.drafts import Candidate, StorylineDrafts
from tests.core.builders import storyline
from tests.core.test_suggest import entries
from tests.support.made_up_dispute import DISPUTE, LONE, T0


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class Store:
    """The drafting part of the Store, in memory: items and which matched."""

    def __init__(self, items: list[Entry], matched: dict[tuple[int, str], str]) -> None:
        self.items = items
        self.matched = matched

    async def entries_since(self, since: datetime, limit: int = 50_000) -> list[Entry]:
        return [e for e in self.items if e.published >= since][-limit:]

    async def matched_item_keys(
        self, since: datetime, storylines: Collection[str]
    ) -> set[tuple[int, str]]:
        return {
            (e.feed_id, e.key)
            for e in self.items
            if e.published >= since and self.matched.get((e.feed_id, e.key)) in storylines
        }


async def test_candidates_list_the_story_for_the_admin_home() -> None:
    harbour = [(k, f"port{i}.example", d + 30, t, s) for i, (k, _, d, t, s) in enumerate(LONE)]
    store = Store(entries([*DISPUTE, *harbour]), {})
    drafts = StorylineDrafts(store, [], Clock(T0 + timedelta(days=40)))
    found = await drafts.candidates(days=60)
    assert [(c.id, c.items, c.last) for c in found] == [
        ("bluefin-shipping-orca", 3, T0 + timedelta(days=35)),  # the newest story first
        ("kestrel-x-skylark", 7, T0 + timedelta(days=13)),
    ]
    assert found[1] == Candidate(
        "kestrel-x-skylark",
        found[1].title,
        7,
        ("courts.example", "dailywire.example", "notizie.example", "techbeat.example"),
        T0 + timedelta(days=13),
    )
    assert found[1].title.startswith("Kestrel X / Skylark")
    # Seen 20 days later, the dispute is older than the window.
    drafts.clock = Clock(T0 + timedelta(days=60))
    assert [c.id for c in await drafts.candidates(days=30)] == ["bluefin-shipping-orca"]


async def test_items_an_open_storyline_took_are_no_candidates() -> None:
    items = entries(DISPUTE)
    took = {(e.feed_id, e.key): "kestrel" for e in items[:4]}
    live = [_open("kestrel")]
    drafts = StorylineDrafts(Store(items, took), live, Clock(T0 + timedelta(days=20)))
    [only] = await drafts.candidates()
    assert only.items == 3
    # A closed storyline's matches do not count: the whole story is a candidate.
    drafts = StorylineDrafts(
        Store(items, took), [_open("kestrel", "closed")], Clock(T0 + timedelta(days=20))
    )
    [only] = await drafts.candidates()
    assert only.items == 7


def _open(ident: str, status: str = "open") -> Storyline:
    return replace(storyline(), id=ident, status=status)
