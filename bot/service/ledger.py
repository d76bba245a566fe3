"""Reading the facts' current state: stored claims plus the storyline files' seeded history."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.decide import initial_states
from bot.core.models import Claim, FactKey, FactView, Storyline
from bot.storage.store import Store


async def known_claims(
    store: Store, seeded: dict[FactKey, list[Claim]]
) -> dict[FactKey, list[Claim]]:
    claims = {k: list(v) for k, v in seeded.items()}
    for key, cs in (await store.claims()).items():
        claims.setdefault(key, []).extend(cs)
    return claims


async def current_states(
    store: Store, storylines: Sequence[Storyline], seeded: dict[FactKey, list[Claim]]
) -> dict[FactKey, FactView]:
    claims = await known_claims(store, seeded)
    return initial_states(storylines, claims, await store.fact_states())
