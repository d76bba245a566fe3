"""The kinds of fact a storyline file may name, and the one registry of them.

A new kind is one module here with a :class:`FactKind` subclass, plus its
instance in :data:`KINDS` below (or :func:`register` from outside the package).
"""

from __future__ import annotations

from bot.core.fact_kinds.base import FactKind
from bot.core.fact_kinds.enum import EnumKind
from bot.core.fact_kinds.integer import IntegerKind
from bot.core.fact_kinds.text import TextKind

#: Every kind by the name a storyline file gives it.
KINDS: dict[str, FactKind] = {k.name: k for k in (EnumKind(), IntegerKind(), TextKind())}


def register(kind: FactKind) -> FactKind:
    """Make ``kind`` available to storyline files under its name."""
    if not kind.name or kind.name in KINDS:
        raise ValueError(f"a fact kind needs a new name, not {kind.name!r}")
    KINDS[kind.name] = kind
    return kind


def fact_kind(name: str) -> FactKind:
    """The kind registered as ``name``; LookupError naming the known kinds if none is."""
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise LookupError(f"unknown fact kind {name!r}; known kinds: {known}") from None


__all__ = ["KINDS", "FactKind", "fact_kind", "register"]
