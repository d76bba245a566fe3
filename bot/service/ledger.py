"""The fact ledger: the one owner of claims and fact states.

It loads the claims (the storyline files' seeded history, unless
``--no-seeded-history``, plus every stored claim), resolves each fact that has
no recorded state yet, records that state the first time it is resolved, and
hands out one snapshot that the poll cycle (deciding), delivery (the root
cards) and the commands (``storylines list/show``) all read. A recorded state
changes only when a decided cycle records a change (``Store.record_cycle``);
nothing else resolves states from all the claims.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from bot.core import resolve as facts
from bot.core.facts import Claim, FactKey, FactView
from bot.core.storyline import FactSpec, Storyline
from bot.core.timeline import timeline
from bot.ports import Clock


class LedgerStore(Protocol):
    """What the ledger needs of the Store."""

    async def claims(self) -> dict[FactKey, list[Claim]]: ...

    async def fact_states(self) -> dict[FactKey, FactView]: ...

    async def save_first_states(self, views: Sequence[FactView], now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class Facts:
    """A snapshot of the ledger: every known claim and every fact's state."""

    claims: Mapping[FactKey, Sequence[Claim]]
    states: Mapping[FactKey, FactView]

    def of(self, storyline: str) -> dict[str, FactView]:
        """One storyline's states, by fact id."""
        return {fact: view for (sl, fact), view in self.states.items() if sl == storyline}


class FactLedger:
    def __init__(
        self,
        store: LedgerStore,
        storylines: Sequence[Storyline],
        clock: Clock,
        *,
        use_seeded_history: bool = True,
    ) -> None:
        self.store = store
        self.storylines = list(storylines)
        self.clock = clock
        self.seeded = facts.seeded_claims(self.storylines) if use_seeded_history else {}

    async def load(self, *, record: bool = True) -> Facts:
        """The claims and the state of every fact of every storyline. A state
        resolved here for the first time is recorded (unless ``record`` is false,
        as for read-only commands), so it is resolved once, not at every read."""
        claims: dict[FactKey, list[Claim]] = {k: list(v) for k, v in self.seeded.items()}
        for key, stored_claims in (await self.store.claims()).items():
            claims.setdefault(key, []).extend(stored_claims)
        recorded = await self.store.fact_states()
        states: dict[FactKey, FactView] = {}
        first: list[FactView] = []
        for storyline in self.storylines:
            for spec in storyline.facts:
                key = (storyline.id, spec.id)
                view = recorded.get(key)
                if view is None:
                    view = facts.resolve(spec, claims.get(key, ()), storyline=storyline)
                    if view.value is not None:
                        first.append(view)
                states[key] = view
        if record and first:
            await self.store.save_first_states(first, self.clock.now())
        return Facts(claims, states)

    @staticmethod
    def history(storyline: Storyline, spec: FactSpec, claims: Sequence[Claim]) -> list[FactView]:
        """Each state the fact went through, oldest first, each listed once: a
        value stays one entry (from when it was first resolved) when only its
        disputed flag changes, and shows the flag it has now."""
        states: list[FactView] = []
        for view in timeline(storyline, spec, claims):
            if states and states[-1].value == view.value:
                states[-1] = replace(states[-1], disputed=view.disputed)
            else:
                states.append(view)
        return states
