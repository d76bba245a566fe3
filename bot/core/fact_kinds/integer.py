"""``integer``: a whole number captured from the text ("an 18-day pause" -> 18)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.core.fact_kinds.base import FactKind

if TYPE_CHECKING:
    from bot.core.storyline import FactSpec


class IntegerKind(FactKind):
    name = "integer"

    def value_problem(self, value: str, spec: FactSpec) -> str | None:
        if not re.fullmatch(r"-?\d+", value):
            return f"{value!r} is not an integer"
        return None

    def canonical(self, said: str, raw: str, spec: FactSpec) -> str | None:
        digits = re.search(r"\d+", said)
        return str(int(digits.group())) if digits else None
