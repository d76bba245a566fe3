"""The fact ledger owns claims and states: it records a state the first time it
is resolved, read-only readers record nothing, and a fact's history lists each
state once (a value whose disputed flag changes is one entry, not two)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config.storylines import load_storylines
from bot.core import resolve as facts
from bot.core.facts import Claim, FactKey, FactView
from bot.service.ledger import FactLedger
from tests.conftest import REPO

NOW = datetime(2026, 11, 1, tzinfo=UTC)
STORYLINES = load_storylines(REPO / "storylines")
DOD = next(s for s in STORYLINES if s.id == "dod-dispute")


class Clock:
    def now(self) -> datetime:
        return NOW


class MemoryStore:
    """The ledger's part of the Store, in memory."""

    def __init__(self, claims: dict[FactKey, list[Claim]] | None = None) -> None:
        self.stored_claims = claims or {}
        self.states: dict[FactKey, FactView] = {}
        self.saves: list[list[FactView]] = []

    async def claims(self) -> dict[FactKey, list[Claim]]:
        return {k: list(v) for k, v in self.stored_claims.items()}

    async def fact_states(self) -> dict[FactKey, FactView]:
        return dict(self.states)

    async def save_first_states(self, views: Sequence[FactView], now: datetime) -> None:
        self.saves.append(list(views))
        for v in views:
            self.states.setdefault((v.storyline, v.fact), v)


async def test_a_state_is_recorded_the_first_time_it_is_resolved_and_then_read() -> None:
    store = MemoryStore()
    ledger = FactLedger(store, STORYLINES, Clock())
    first = await ledger.load()
    designation = first.states[("dod-dispute", "designation_status")]
    assert designation.value == "partially-blocked"  # from the seeded history
    assert len(store.saves) == 1
    assert ("dod-dispute", "designation_status") in store.states
    again = await ledger.load()
    assert again.states == first.states
    assert len(store.saves) == 1  # nothing resolved a second time


async def test_readers_record_nothing_and_no_seeded_history_means_no_state() -> None:
    store = MemoryStore()
    looked = await FactLedger(store, STORYLINES, Clock()).load(record=False)
    assert looked.states[("dod-dispute", "designation_status")].value == "partially-blocked"
    assert store.saves == []
    bare = await FactLedger(store, STORYLINES, Clock(), use_seeded_history=False).load()
    assert bare.states[("dod-dispute", "designation_status")].value is None
    assert store.saves == []


def test_history_lists_each_state_once() -> None:
    spec = DOD.fact("designation_status")
    seeded = facts.seeded_claims([DOD])[("dod-dispute", "designation_status")]
    last = max(seeded, key=lambda c: c.published)
    # A lone later report of an earlier value: the current value becomes disputed.
    lone = replace(
        last,
        value="threatened",
        published=last.published + timedelta(days=3),
        source="random-blog.example",
        url="https://random-blog.example/x",
        item_key="x",
        seeded=False,
    )
    history = FactLedger.history(DOD, spec, [*seeded, lone])
    values = [v.value for v in history]
    assert values == ["threatened", "designated", "blocked", "partially-blocked"]
    assert history[-1].disputed  # shown once, with the flag it has now
