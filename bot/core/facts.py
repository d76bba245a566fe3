"""Claims about a storyline's facts, the facts' current values and their changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

FactKey = tuple[str, str]
"""(storyline id, fact id)"""


@dataclass(frozen=True, slots=True)
class Claim:
    """A source asserting a fact's current value at ``published``.

    ``attribution`` is who the text says claims it ("Acme", "the Commerce
    Department"), when it says. ``seeded`` claims come from the storyline file.
    """

    storyline: str
    fact: str
    value: str
    published: datetime
    source: str
    item_key: str
    url: str | None = None
    attribution: str | None = None
    evidence: str = ""
    seeded: bool = False

    @property
    def who(self) -> str:
        return f"{self.attribution} via {self.source}" if self.attribution else self.source


@dataclass(frozen=True, slots=True)
class FactView:
    """A fact's resolved state. ``contenders`` lists, when ``disputed``, the
    latest claim for each value that recent sources assert."""

    storyline: str
    fact: str
    value: str | None
    since: datetime | None = None
    source: str | None = None
    url: str | None = None
    disputed: bool = False
    contenders: tuple[Claim, ...] = ()


@dataclass(frozen=True, slots=True)
class FactChange:
    """The resolved state moved from ``old`` to ``new`` because of ``cause``."""

    storyline: str
    fact: str
    old: FactView
    new: FactView
    cause: Claim
