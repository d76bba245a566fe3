"""What the matcher says of one item and one storyline, with its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a score moved: ``term`` (as written in the storyline) was found as
    ``found`` (as written in the item), in ``group``, with ``similarity`` 0–100
    (100 = exact), adding ``weight`` to the score (negative for exclusions)."""

    group: str
    term: str
    found: str
    similarity: float
    weight: float
    where: Literal["title", "summary"] = "title"
    #: Set when the reason is a rule rather than a term ("closer storyline: …").
    note: str = ""

    def describe(self) -> str:
        if self.note:
            return f"{self.group}: {self.note}" + (f" ({self.weight:+.0f})" if self.weight else "")
        how = "exact" if self.similarity >= 100 else f"fuzzy {self.similarity:.0f}"
        return f"{self.group}: {self.term!r} ({how}, {self.where}, {self.weight:+.0f})"


@dataclass(frozen=True, slots=True)
class MatchResult:
    storyline: str
    score: float
    matched: bool
    reasons: tuple[Reason, ...]
