"""What a fact-timeline picture shows, as plain data (drawn by an adapter).

One ``Lane`` per fact: a ``Band`` per state the fact went through, from the
state's start to the next one's (the last runs to ``now``), and a ``Mark`` for
each report that did not move the fact: an *unconfirmed* report (a value one
outlet asserted that the fact never took then) or a *disputed* one (a value
asserted while sources disagreed). Pure: no drawing, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.facts import Claim, FactView
from bot.core.storyline import FactSpec, Storyline

# Marks beyond this many per lane are left out (the newest are kept): a flood of
# reports must not turn a lane into a smear of labels.
MAX_MARKS_PER_LANE = 12


@dataclass(frozen=True, slots=True)
class Band:
    """One state of a fact: ``value`` from ``start`` to ``end`` (the next state's
    start, or the picture's ``now`` for today's state), moved by ``source``."""

    value: str
    label: str
    start: datetime
    end: datetime
    source: str
    disputed: bool = False

    @property
    def caption(self) -> str:
        return f"{self.label} — {self.source}"


@dataclass(frozen=True, slots=True)
class Mark:
    """A report that did not move the fact: ``source`` said ``value`` at ``at``."""

    kind: Literal["unconfirmed", "disputed"]
    value: str
    label: str
    at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class Lane:
    fact: str
    label: str
    bands: tuple[Band, ...]
    marks: tuple[Mark, ...] = ()
    # The fact's declared values then any other value drawn, in a stable order:
    # colours are given in this order, so a value keeps its colour in every picture.
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TimelinePicture:
    """Everything one storyline's picture shows. ``now`` is the right edge."""

    storyline: str
    title: str
    lanes: tuple[Lane, ...]
    now: datetime

    @property
    def start(self) -> datetime:
        """The left edge: the earliest band or mark (``now`` when there is none)."""
        times = [b.start for lane in self.lanes for b in lane.bands]
        times += [m.at for lane in self.lanes for m in lane.marks]
        return min(times, default=self.now)


def fact_lane(
    spec: FactSpec, history: Sequence[FactView], claims: Sequence[Claim], now: datetime
) -> Lane:
    """The lane of one fact from its ``history`` (the ledger's states, oldest
    first) and the ``claims`` about it."""
    states = [v for v in history if v.value is not None and v.since is not None]
    bands: list[Band] = []
    for i, view in enumerate(states):
        assert view.value is not None and view.since is not None  # filtered above
        following = states[i + 1].since if i + 1 < len(states) else None
        end = following if following is not None else max(now, view.since)
        bands.append(
            Band(
                value=view.value,
                label=spec.value_label(view.value),
                start=view.since,
                end=end,
                source=view.source or "unknown",
                disputed=view.disputed,
            )
        )
    marks = _marks(spec, bands, claims)
    values = [v.value for v in spec.values]
    for value in sorted({b.value for b in bands} | {m.value for m in marks}):
        if value not in values:
            values.append(value)
    return Lane(spec.id, spec.label, tuple(bands), marks, tuple(values))


def _marks(spec: FactSpec, bands: Sequence[Band], claims: Sequence[Claim]) -> tuple[Mark, ...]:
    marks: list[Mark] = []
    seen: set[tuple[str, str, int]] = set()
    for claim in sorted((c for c in claims if c.fact == spec.id), key=lambda c: c.published):
        index, band = _band_at(bands, claim.published)
        if band is not None and band.value == claim.value:
            continue  # it agrees with the state of its time: it moved or confirmed it
        key = (claim.value, claim.source, index)
        if key in seen:  # the same outlet repeating itself within one state
            continue
        seen.add(key)
        kind: Literal["unconfirmed", "disputed"] = (
            "disputed" if band is not None and band.disputed else "unconfirmed"
        )
        marks.append(
            Mark(kind, claim.value, spec.value_label(claim.value), claim.published, claim.source)
        )
    return tuple(marks[-MAX_MARKS_PER_LANE:])


def _band_at(bands: Sequence[Band], when: datetime) -> tuple[int, Band | None]:
    found: tuple[int, Band | None] = (-1, None)
    for i, band in enumerate(bands):
        if band.start <= when:
            found = (i, band)
    return found


def storyline_picture(
    storyline: Storyline,
    histories: Mapping[str, Sequence[FactView]],
    claims: Mapping[str, Sequence[Claim]],
    now: datetime,
) -> TimelinePicture:
    """The picture of ``storyline``: one lane per fact, in the file's order.
    ``histories`` and ``claims`` are keyed by fact id."""
    lanes = tuple(
        fact_lane(spec, histories.get(spec.id, ()), claims.get(spec.id, ()), now)
        for spec in storyline.facts
    )
    return TimelinePicture(storyline.id, storyline.title, lanes, now)
