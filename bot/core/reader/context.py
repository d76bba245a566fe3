"""The factuality of what a clause says, from context triggers (ConText/NegEx).

Pure. Every event or cue found in a clause gets a :class:`Factuality` in the
manner of FactBank: *polarity* (did it happen or not), *certainty* (certain,
probable, possible) and *time* (current, completed in the past, still to come).
The triggers are the lexicon's (:mod:`bot.core.reader.lexicon`): each has a
category, a direction (the words after it, before it, or both) and a scope (a
number of words, its clause, or its sentence's later clauses too); a
``terminate`` trigger ("but", "however") ends every scope that crosses it; a
``pseudo`` trigger is a longer phrase that holds one but is none ("not only",
"ordered … to"). Only a certain, positive, current statement moves a fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.reader.lexicon import Trigger
from bot.core.reader.phrases import Hit

Polarity = Literal["positive", "negative"]
Certainty = Literal["certain", "probable", "possible"]
Time = Literal["current", "past", "future"]
_CERTAINTY_RANK = {"certain": 0, "probable": 1, "possible": 2}


@dataclass(frozen=True, slots=True)
class Factuality:
    """How a clause presents an event: ``cues`` are the triggers that decided it."""

    polarity: Polarity = "positive"
    certainty: Certainty = "certain"
    time: Time = "current"
    cues: tuple[str, ...] = ()
    requested: bool = False  # someone asks for it: no threat of it either

    @property
    def moves(self) -> bool:
        """Only certain, positive, current statements move a fact."""
        return (
            self.polarity == "positive" and self.certainty == "certain" and self.time == "current"
        )

    @property
    def hedged(self) -> bool:
        """A threat, a plan or a hedge of a positive act (what "may X" reads); a
        request ("asks the court to declare it unlawful") is none."""
        return (
            self.polarity == "positive"
            and self.time != "past"
            and not self.moves
            and not self.requested
        )

    def describe(self) -> str:
        return f"{self.polarity}, {self.certainty}, {self.time}"


CURRENT = Factuality()


def triggers_of(hits: Iterable[Hit]) -> list[Hit]:
    """The trigger hits that count: at each place the longest, and none inside a
    ``pseudo`` phrase ("not only", "ordered … to")."""
    found = sorted(
        (h for h in hits if h.category == "trigger"), key=lambda h: (h.start, h.start - h.end)
    )
    kept: list[Hit] = []
    for hit in found:
        # Inside a longer trigger it is none ("no" in "no longer"); on the same
        # words it is another (won't: "not" and "will").
        if any(
            k.start <= hit.start and hit.end <= k.end and (k.start, k.end) != (hit.start, hit.end)
            for k in kept
        ):
            continue
        kept.append(hit)
    pseudo = [h for h in kept if _trigger(h).category == "pseudo"]
    return [
        h
        for h in kept
        if _trigger(h).category != "pseudo"
        and not any(p.start <= h.start and h.end <= p.end for p in pseudo)
    ]


def _trigger(hit: Hit) -> Trigger:
    trigger = hit.value
    assert isinstance(trigger, Trigger)
    return trigger


@dataclass(frozen=True, slots=True)
class Scene:
    """The triggers around one clause: its own, and those of its sentence's
    earlier clauses whose scope is the sentence."""

    own: Sequence[Hit]
    earlier: Sequence[Hit] = ()

    def factuality(
        self, first: int, last: int, *, own_phrase: tuple[int, int] = (-1, -1)
    ) -> Factuality:
        """The factuality of something at tokens ``[first, last]`` of the clause.
        A trigger overlapping characters ``own_phrase`` (the event's own word, as
        in "weighs", both a threat and a hedge) does not apply to it."""
        polarity: Polarity = "positive"
        certainty: Certainty = "certain"
        time: Time = "current"
        cues: list[str] = []
        terminators = [h for h in self.own if _trigger(h).category == "terminate"]
        refused = requested = False
        applied = [
            h
            for h in self.own
            if not (h.start < own_phrase[1] and own_phrase[0] < h.end)
            and _reaches(h, first, last, terminators)
        ]
        if not any(t.last < first for t in terminators):
            applied += [h for h in self.earlier if _trigger(h).scope == "sentence"]
        for hit in applied:
            category = _trigger(hit).category
            if category == "refused":
                refused = True
        for hit in applied:
            category = _trigger(hit).category
            if category in ("negated", "refused"):
                polarity = "negative"
            elif category in ("possible", "probable"):
                if _CERTAINTY_RANK[category] > _CERTAINTY_RANK[certainty]:
                    certainty = category  # type: ignore[assignment]
            elif category in ("future", "request"):
                time = "future" if time != "past" else time
                requested = requested or category == "request"
            elif category == "purpose":
                if refused:
                    continue  # "refused to halt": the refusal happened
                time = "future" if time != "past" else time
            elif category == "historical":
                time = "past"
            else:
                continue
            cues.append(hit.phrase)
        return Factuality(polarity, certainty, time, tuple(cues), requested)

    def ceased(self, first: int) -> bool:
        """Whether a "no longer" trigger governs the event starting at ``first``."""
        terminators = [h for h in self.own if _trigger(h).category == "terminate"]
        return any(
            _trigger(h).category == "ceased" and _reaches(h, first, first, terminators)
            for h in self.own
        )


def _reaches(hit: Hit, first: int, last: int, terminators: Sequence[Hit]) -> bool:
    trigger = _trigger(hit)
    if trigger.category in ("terminate", "pseudo"):
        return False
    scope = trigger.scope
    if trigger.direction in ("forward", "both") and hit.last < first:
        if isinstance(scope, int) and first - hit.last > scope:
            pass
        elif not any(hit.last < t.first and t.last < first for t in terminators):
            return True
    if trigger.direction in ("backward", "both") and hit.first > last:
        if isinstance(scope, int) and hit.first - last > scope:
            return False
        return not any(last < t.first and t.last < hit.first for t in terminators)
    return False
