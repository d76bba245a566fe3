"""A fact's state kept current as claims arrive, without replaying them all."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.core.facts import Claim, FactView
from bot.core.resolve import FactReplay, replay_order
from bot.core.storyline import FactSpec, Storyline


class FactTracker:
    """The state of one fact as a cycle's claims arrive, equal after each ``add``
    to :func:`resolve` over the known claims plus every claim added so far.

    The decider adds claims in publication order, so each new claim usually sorts
    after everything known: the replay (:class:`FactReplay`) takes one step. Known
    claims newer than it (an older item arriving late) are replayed on a copy,
    and only those. A claim that sorts before one already added (equal
    publication times in another order) replays everything, as ``resolve`` does.
    """

    def __init__(self, spec: FactSpec, known: Iterable[Claim], *, storyline: Storyline) -> None:
        self._spec = spec
        self._storyline = storyline
        self._claims = [c for c in known if c.fact == spec.id]
        self._start(sorted(self._claims, key=replay_order))

    def _start(self, ordered: list[Claim]) -> None:
        self._replay = FactReplay(self._spec, storyline=self._storyline)
        self._ahead = ordered  # known claims not replayed yet, in replay order
        self._next = 0

    def add(self, claim: Claim) -> FactView:
        order = replay_order(claim)
        self._claims.append(claim)
        if self._replay.last is not None and order < self._replay.last:
            ordered = sorted(self._claims, key=replay_order)
            self._start(ordered)
            self._step_to(None)
            return self._replay.view()
        # Known claims up to this one (equal ones first: resolve's sort is stable
        # and the new claim comes last), then this one.
        self._step_to(order)
        self._replay.add(claim)
        if self._next == len(self._ahead):
            return self._replay.view()
        ahead = self._replay.copy()
        for later in self._ahead[self._next :]:
            ahead.add(later)
        return ahead.view()

    def _step_to(self, order: tuple[Any, ...] | None) -> None:
        while self._next < len(self._ahead) and (
            order is None or replay_order(self._ahead[self._next]) <= order
        ):
            self._replay.add(self._ahead[self._next])
            self._next += 1
