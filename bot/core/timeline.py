"""A fact's timeline: the resolved state after each claim, in publication order."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.fact_tracker import FactTracker
from bot.core.facts import Claim, FactView
from bot.core.storyline import FactSpec, Storyline


def timeline(storyline: Storyline, spec: FactSpec, claims: Sequence[Claim]) -> list[FactView]:
    """Each state the fact went through (value or disputed flag changed), oldest first.

    The state after each claim is ``resolve`` of the claims up to it, found
    incrementally (:class:`FactTracker`): a flood of thousands of claims is shown
    at once, where replaying every prefix took minutes."""
    ordered = sorted((c for c in claims if c.fact == spec.id), key=lambda c: c.published)
    tracker = FactTracker(spec, (), storyline=storyline)
    states: list[FactView] = []
    for claim in ordered:
        view = tracker.add(claim)
        if view.value is None:
            continue
        if not states or (states[-1].value, states[-1].disputed) != (view.value, view.disputed):
            states.append(view)
    return states
