"""``text``: a phrase captured from the text, a duration or a sum of money among them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.core import amounts
from bot.core.fact_kinds.base import FactKind

if TYPE_CHECKING:
    from bot.core.storyline import FactSpec


class TextKind(FactKind):
    name = "text"

    def canonical(self, said: str, raw: str, spec: FactSpec) -> str | None:
        said = re.sub(r"\b(\d+) (month|day|week|year)\b(?!s)", r"\1 \2s", said)
        # "20 milioni di euro", "EUR 20m" and "€20 million" are one value.
        return self._listed(said, spec) or amounts.canonical_amount(raw) or said or None

    def same(self, a: str, b: str) -> bool:
        # "15 million" and "€15 million" are one fine, told with and without its currency.
        return a == b or amounts.same_amount(a, b)
