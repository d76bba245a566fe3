"""What a fact's ``kind`` decides, in one class per kind.

A storyline file names a kind for each fact (``facts[].kind``); everything that
differs between kinds is a method or an attribute of :class:`FactKind`, so the
schema, the reader, the resolver and the cards never branch on the name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from bot.core.text import normalise_text

if TYPE_CHECKING:
    from bot.core.storyline import FactSpec


class FactKind:
    """One kind of fact. Subclass it, set :attr:`name`, override what differs and
    register an instance (:func:`bot.core.fact_kinds.register`).

    The defaults describe a value captured from the text: by the fact's
    ``patterns`` (or by the cues of its listed values), compared as written,
    unordered, and shown by its listed label or as written.
    """

    #: The name a storyline file gives in ``facts[].kind``.
    name: ClassVar[str] = ""
    #: Whether the values are the states a thing moves through, in the order the
    #: file lists them (available, suspended, restored). The reader then reads a
    #: value from the acts and cues its entry names (its ``events``, its partial
    #: form, a launch state), treats a stale clause as background, and ranks
    #: values by :meth:`rank`. Otherwise it captures a value with the fact's
    #: ``patterns`` and makes it canonical with :meth:`canonical`.
    states: ClassVar[bool] = False

    def problem(self, spec: FactSpec) -> str | None:
        """What a storyline file must fix in this fact for the kind, if anything."""
        if not spec.patterns and not spec.values:
            return f"a {self.name} fact needs 'patterns' (or 'values' with cues)"
        return None

    def value_problem(self, value: str, spec: FactSpec) -> str | None:
        """Why ``value`` (from the file's ``history``) is no value of this fact, if it is not."""
        return None

    def canonical(self, said: str, raw: str, spec: FactSpec) -> str | None:
        """The value a captured phrase stands for: ``raw`` as the item wrote it,
        ``said`` normalised with its numbers in digits ("eighteen days" -> "18 days").
        None when it holds no value."""
        return self._listed(said, spec) or said or None

    def same(self, a: str, b: str) -> bool:
        """Whether two values are one (a claim of either agrees with the other)."""
        return a == b

    def rank(self, spec: FactSpec) -> Mapping[str, int]:
        """Each value's place in the fact's order (later is further along), empty
        when the values have no order. Going back to an earlier value is a
        retraction: it needs corroboration, and an item's furthest value speaks for it."""
        return {}

    def label(self, spec: FactSpec, value: str) -> str:
        """How a value is shown on cards, replies and timelines."""
        for v in spec.values:
            if v.value == value:
                return v.label
        return value

    def _listed(self, said: str, spec: FactSpec) -> str | None:
        """The listed value ``said`` names, if any."""
        for value in spec.values:
            if normalise_text(value.value) == said:
                return value.value
        return None
