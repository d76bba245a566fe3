"""The decider moves a storyline's facts only from items that belong to it most."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.core.audit_events import FactClaimed
from bot.core.decide import Decision, Known, decide
from bot.core.facts import FactView
from bot.core.items import Entry
from bot.core.match import Matcher
from bot.core.storyline import FactSpec, FactValueSpec, MatchRules, Storyline, TermGroup
from tests.core.builders import T0, entry, storyline


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
        Known(storylines=[widget, court], matcher=matcher, claims={}, states={}, subscriptions=[]),
    )
    moved = {(c.storyline, c.fact) for c in decision.changes}
    assert ("widget-ban", "access_status") in moved
    assert not any(s == "acme-court" for s, _ in moved)


def _decide(items: list[Entry], s: Storyline) -> Decision:
    return decide(
        items, Known(storylines=[s], matcher=Matcher([s]), claims={}, states={}, subscriptions=[])
    )


def test_every_reading_is_audited_with_its_factuality_and_why_it_does_not_move() -> None:
    s = storyline()
    decision = _decide(
        [
            entry("Acme Widget 5 could be suspended by export directive", hours=0),
            entry("Export directive suspends Acme Widget 5", hours=1),
        ],
        s,
    )
    claimed = [e for e in decision.audit if isinstance(e, FactClaimed)]
    hedged = next(e for e in claimed if e.item.title.startswith("Acme Widget 5 could"))
    assert (hedged.value, hedged.claim) == ("suspended", False)
    assert hedged.certainty == "possible" and "could" in hedged.why
    current = next(e for e in claimed if e.item.title.startswith("Export"))
    assert current.claim is True and current.why == "current"
    assert (current.polarity, current.certainty, current.time) == (
        "positive",
        "certain",
        "current",
    )


def test_a_copy_of_a_story_is_no_second_outlet() -> None:
    s = storyline()
    first = entry("Export directive suspends Acme Widget 5", hours=0, source="a.example")
    copy = entry("Export directive suspends Acme Widget 5", hours=1, source="b.example", feed_id=2)
    decision = _decide([first, copy], s)
    copied = [
        e for e in decision.audit if isinstance(e, FactClaimed) and e.item.source == copy.source
    ]
    assert copied and not any(e.claim for e in copied)
    assert "copy" in copied[0].why
    assert [c.value for i in decision.items for c in i.claims] == ["suspended"]


def test_an_explainer_never_takes_a_fact_back() -> None:
    s = storyline()
    key = (s.id, "access_status")
    restored = FactView(s.id, "access_status", "restored", since=T0, source="a.example")
    item = entry("Explainer: why Acme Widget 5 was suspended by the export directive", hours=24)
    decision = decide(
        [item],
        Known(
            storylines=[s],
            matcher=Matcher([s]),
            claims={},
            states={key: restored},
            subscriptions=[],
        ),
    )
    assert decision.changes == [] and decision.states[key].value == "restored"
    assert [c for i in decision.items for c in i.claims] == []
    # The same explainer while the fact is still suspended confirms it.
    suspended = FactView(s.id, "access_status", "suspended", since=T0, source="a.example")
    again = decide(
        [item],
        Known(
            storylines=[s],
            matcher=Matcher([s]),
            claims={},
            states={key: suspended},
            subscriptions=[],
        ),
    )
    assert [c.value for i in again.items for c in i.claims] == ["suspended"]


def test_items_published_at_the_same_time_are_decided_the_same_whichever_was_fetched_first() -> (
    None
):
    s = storyline()
    suspended = entry("Export directive suspends Acme Widget 5", source="a.example")
    restored = entry(
        "Acme Widget 5 restored as court lifts export directive", source="b.example", feed_id=2
    )
    later = dataclasses.replace(restored, first_seen=T0 + timedelta(seconds=1))
    one = _decide([suspended, later], s)
    other = _decide([dataclasses.replace(suspended, first_seen=later.first_seen), restored], s)
    assert [e.to_record() for e in one.audit] == [e.to_record() for e in other.audit]
    assert [(c.fact, c.new.value) for c in one.changes] == [
        (c.fact, c.new.value) for c in other.changes
    ]
