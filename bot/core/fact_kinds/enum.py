"""``enum``: one of the listed values, states a thing moves through in order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.core.fact_kinds.base import FactKind

if TYPE_CHECKING:
    from bot.core.storyline import FactSpec


class EnumKind(FactKind):
    name = "enum"
    states = True

    def problem(self, spec: FactSpec) -> str | None:
        if not spec.values:
            return "an enum fact needs at least one entry in 'values'"
        return None

    def value_problem(self, value: str, spec: FactSpec) -> str | None:
        listed = {v.value for v in spec.values}
        if value not in listed:
            return f"{value!r} is not one of the values: {', '.join(sorted(listed))}"
        return None

    def rank(self, spec: FactSpec) -> Mapping[str, int]:
        return {v.value: i for i, v in enumerate(spec.values)}
