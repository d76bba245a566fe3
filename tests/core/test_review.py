"""Reviewing a storyline before it goes live: warnings and the trial run."""

from __future__ import annotations

import dataclasses

from bot.core.review import format_trial, review, trial, trial_json
from bot.core.storyline import FactSpec, FactValueSpec, MatchRules, Sibling, TermGroup
from bot.service.storyline_review import commonness
from tests.core.builders import entry, storyline

STATUS = FactSpec(
    id="status",
    label="Kestrel X",
    kind="enum",
    required=True,
    values=(
        FactValueSpec("flying", "Flying", ("on sale",)),
        FactValueSpec("grounded", "Grounded", ("grounded", "banned")),
        FactValueSpec("cleared", "Cleared", ("cleared", "ban lifted")),
    ),
)


def drone(**rules: object):  # type: ignore[no-untyped-def]
    match = MatchRules(
        subjects=(TermGroup("drone", ("Kestrel X",)),),
        actors=(TermGroup("maker", ("Skylark",)),),
        parties=(TermGroup("ministry", ("transport ministry",)),),
        topics=(TermGroup("events", ("grounded", "banned", "cleared", "lifted")),),
    )
    match = dataclasses.replace(match, **rules)  # type: ignore[arg-type]
    return storyline(id="drone-ban", title="Kestrel X", match=match, facts=(STATUS,))


def messages(findings: list) -> list[str]:  # type: ignore[type-arg]
    return [f.message for f in findings]


def test_very_common_words_as_names_are_flagged_with_their_place() -> None:
    s = drone(actors=(TermGroup("maker", ("Skylark", "court", "the company", "Italy", "May")),))
    findings = review(s, commonness=commonness)
    flagged = [f for f in findings if "very common word" in f.message]
    # "Italy" is a name; "May" as a name is still one of the commonest words.
    assert [f.where for f in flagged] == [
        ("match", "actors", 0, "phrases", 1),
        ("match", "actors", 0, "phrases", 4),
    ]
    assert "'court'" in flagged[0].message


def test_ordinary_verbs_are_fine_as_topics_but_not_the_commonest_words() -> None:
    s = drone(topics=(TermGroup("events", ("grounded", "banned", "back", "new")),))
    flagged = [f.where[-1] for f in review(s, commonness=commonness) if "common" in f.message]
    assert flagged == [2, 3]


def test_a_phrase_frequent_in_unrelated_sample_items_is_flagged() -> None:
    s = drone(actors=(TermGroup("maker", ("Skylark", "drone")),))
    sample = [entry(f"Drone delivery trial number {i} in the suburbs") for i in range(10)]
    sample.append(entry("Transport ministry grounds the Kestrel X", key="k"))
    found = messages(review(s, sample=sample))
    assert any("'drone' appears in 10 of 10 sample items" in m for m in found)
    assert not any("'Skylark' appears" in m for m in found)


def test_names_shared_with_a_live_storyline_are_flagged_once_per_group() -> None:
    other = storyline(
        id="skylark-ipo",
        match=MatchRules(
            actors=(TermGroup("maker", ("Skylark",)),), topics=(TermGroup("ipo", ("IPO",)),)
        ),
        facts=(),
    )
    findings = review(drone(), [other])
    shared = [f for f in findings if "also name storyline 'skylark-ipo'" in f.message]
    assert [f.where for f in shared] == [("match", "actors", 0)]
    # The storyline's own previous version is not "another storyline".
    assert not any("also name" in m for m in messages(review(drone(), [drone()])))


def test_siblings_must_name_a_known_storyline_and_not_the_storyline_itself() -> None:
    s = drone(siblings=(Sibling("ipo", storyline="skylark-ipo"), Sibling("x", ("Skylark",))))
    found = messages(review(s))
    assert any("'skylark-ipo' is not defined" in m for m in found)
    assert any("sibling phrase 'Skylark' is also one of this storyline's own" in m for m in found)


def test_a_sibling_replacing_a_kind_the_storyline_lacks_is_flagged() -> None:
    s = drone(
        parties=(),
        siblings=(Sibling("other-countries", ("Canada",), instead_of="parties"),),
    )
    found = review(s)
    assert any(
        f.where == ("match", "siblings", 0, "instead_of") and "no parties" in f.message
        for f in found
    )


def test_a_storyline_without_subjects_is_told_what_it_misses() -> None:
    legacy = storyline()
    assert any("no `subjects`" in m for m in messages(review(legacy)))
    assert not any("no `subjects`" in m for m in messages(review(drone())))


def test_trial_lists_matches_with_reasons_and_the_fact_timeline() -> None:
    items = [
        entry("Skylark's Kestrel X goes on sale", "Skylark launched the Kestrel X.", hours=0),
        entry("Transport ministry: Kestrel X grounded", "", hours=24, source="a.example"),
        entry(
            "Kestrel X grounded nationwide", "The drone was banned.", hours=25, source="b.example"
        ),
        entry("Motorway bridge opens", "", hours=30),
        entry("Kestrel X ban lifted; drone cleared to fly", "", hours=72, source="c.example"),
        entry("Kestrel X cleared again by regulators", "", hours=73, source="d.example"),
    ]
    report = trial(drone(), items)
    assert report.scanned == 6
    assert [i.entry.title for i in report.items] == [
        e.title for e in items if e.title != "Motorway bridge opens"
    ]
    assert all(any(r.group == "subject:drone" for r in i.result.reasons) for i in report.items)
    states = [view.value for view, _cause in report.timelines["status"] if not view.disputed]
    assert states == ["flying", "grounded", "cleared"]
    text = format_trial(report)
    assert "5 of 6 items would match" in text
    assert "subject:drone: 'Kestrel X'" in text
    assert "claims status = grounded" in text
    assert "Cleared — " in text.split("Fact timelines")[1]


def test_trial_says_which_items_are_placed_at_first_seen() -> None:
    """An item whose feed gave no usable date sits in the timeline at the time
    the bot first saw it: the trial says so under its line, and in its JSON."""
    undated = dataclasses.replace(
        entry("Kestrel X grounded nationwide", "The drone was banned.", hours=25),
        date_was_replaced=True,
    )
    dated = entry("Kestrel X ban lifted; drone cleared to fly", "", hours=72)
    report = trial(drone(), [undated, dated])
    lines = format_trial(report).splitlines()
    at = next(i for i, line in enumerate(lines) if undated.title in line)
    assert lines[at + 1] == (
        f"    date: first seen {undated.first_seen:%Y-%m-%d %H:%M} UTC (no usable date in the feed)"
    )
    assert not any("first seen" in line for line in lines if dated.title in line)
    items = trial_json(report)["items"]
    assert isinstance(items, list)
    assert {i["title"]: i["date_was_replaced"] for i in items} == {
        undated.title: True,
        dated.title: False,
    }


def test_trial_shows_near_misses_and_what_other_storylines_took() -> None:
    s = drone(siblings=(Sibling("other-countries", ("Canada",)),))
    report = trial(s, [entry("Canada bans the Kestrel X", "Grounded there too.")])
    assert report.items == []
    assert len(report.near) == 1
    assert "sibling story" in format_trial(report)
