"""The decider moves a storyline's facts only from items that belong to it most."""

from __future__ import annotations

import dataclasses

from bot.core.decide import decide
from bot.core.match import Matcher
from bot.core.models import FactSpec, FactValueSpec, MatchRules, Storyline, TermGroup
from tests.core.builders import entry, storyline


def _court_storyline() -> Storyline:
    rules = MatchRules(
        actors=(TermGroup("maker", ("Acme",)),),
        topics=(
            TermGroup("court", ("judge", "directive", "court")),
            TermGroup("agency", ("Commerce Department",)),
        ),
        threshold=40,
    )
    fact = FactSpec(
        id="case_status",
        label="Case",
        kind="enum",
        values=(FactValueSpec("halted", "Halted", (), events=("stop",)),),
    )
    return dataclasses.replace(storyline(), id="acme-court", match=rules, facts=(fact,))


def test_an_item_moves_only_the_facts_of_its_best_storyline() -> None:
    widget = storyline()
    court = _court_storyline()
    item = entry(
        "Acme Widget 5 suspended as export directive halts access",
        "The Commerce Department directive took Widget 5 offline for every customer.",
    )
    matcher = Matcher([widget, court])
    results = {r.storyline: r for r in matcher.match(item)}
    assert results["widget-ban"].matched and results["acme-court"].matched
    assert results["widget-ban"].score > results["acme-court"].score

    decision = decide(
        [item],
        storylines=[widget, court],
        matcher=matcher,
        claims={},
        states={},
        subscriptions=[],
        recent=[],
        backlog_feeds=frozenset(),
    )
    moved = {(c.storyline, c.fact) for c in decision.changes}
    assert ("widget-ban", "access_status") in moved
    assert not any(s == "acme-court" for s, _ in moved)
