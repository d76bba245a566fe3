"""A fact's timeline: the resolved state after each claim, in publication order."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.facts import resolve
from bot.core.models import Claim, FactSpec, FactView, Storyline


def timeline(storyline: Storyline, spec: FactSpec, claims: Sequence[Claim]) -> list[FactView]:
    """Each state the fact went through (value or disputed flag changed), oldest first."""
    ordered = sorted(claims, key=lambda c: c.published)
    states: list[FactView] = []
    for i in range(len(ordered)):
        view = resolve(spec, ordered[: i + 1], storyline=storyline)
        if view.value is None:
            continue
        if not states or (states[-1].value, states[-1].disputed) != (view.value, view.disputed):
            states.append(view)
    return states
