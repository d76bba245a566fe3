"""The matcher: actor AND topic, exclusions, fuzzy misspellings, explainable reasons."""

from __future__ import annotations

import dataclasses

from bot.core.match import Matcher
from tests.core.builders import entry, storyline


def result(title: str, summary: str = "", **kw: object):  # type: ignore[no-untyped-def]
    (r,) = Matcher([storyline(**kw)]).match(entry(title, summary))
    return r


def test_actor_and_topic_in_the_headline_match_with_reasons() -> None:
    r = result("Acme suspended Widget 5 after export controls")
    assert r.matched and r.score >= 60
    groups = {reason.group for reason in r.reasons}
    assert {"actor:maker", "topic:controls", "topic:access"} <= groups
    assert all(reason.where == "title" for reason in r.reasons)


def test_one_shared_word_is_not_enough() -> None:
    assert not result("Acme reports record quarterly revenue").matched
    assert not result("Commerce Department issues new export controls on chips").matched


def test_title_hits_weigh_more_than_summary_hits() -> None:
    title = result("Acme hit by export controls")
    summary = result("Quarterly notes", "Acme hit by export controls.")
    assert title.score > summary.score
    assert not summary.matched


def test_exclusions_subtract() -> None:
    plain = result("Widget 5 from Acme, reviewed")
    game = result("Widget 5 from Acme, reviewed: the video game")
    assert plain.matched and not game.matched
    assert any(r.weight < 0 and r.group == "exclude:game" for r in game.reasons)


def test_misspelled_actor_is_a_fuzzy_hit() -> None:
    r = result("Acme Labz export controls: the directive explained", "")
    exact = result("Akme directive on export controls")  # 4 letters: too short for fuzzy
    assert r.matched
    assert not exact.matched
    fuzzy = Matcher([storyline()]).match(entry("Antropic suspended by directive"))
    assert fuzzy[0].score == 0  # "Antropic" is not this storyline's actor


def test_fuzzy_reason_reports_the_similarity() -> None:
    s = storyline()
    s = dataclasses.replace(
        s,
        match=dataclasses.replace(
            s.match,
            actors=(
                *s.match.actors,
                dataclasses.replace(s.match.actors[0], name="lab", phrases=("Anthropic",)),
            ),
        ),
    )
    (r,) = Matcher([s]).match(entry("Antropic suspended by export directive"))
    assert r.matched
    fuzzy = [x for x in r.reasons if x.term == "Anthropic"]
    assert fuzzy and fuzzy[0].found == "antropic" and 88 <= fuzzy[0].similarity < 100
    assert "fuzzy" in fuzzy[0].describe()


def test_word_boundaries_are_respected() -> None:
    assert not result("Acmeworks: suspended export controls for widgets 50").matched


def test_closed_storylines_are_not_matched() -> None:
    matcher = Matcher([storyline(), storyline(id="old", status="closed")])
    results = matcher.match(entry("Acme suspended Widget 5 after export controls"))
    assert [r.storyline for r in results] == ["widget-ban"]


def test_hyphens_and_case_do_not_matter() -> None:
    assert result("ACME: EXPORT-CONTROLS hit widget-5").matched
