"""Fact claims and resolution: recaps don't flip, publication order rules,
a lone source makes a dispute, attribution is kept."""

from __future__ import annotations

from bot.core.facts import extract_claims, resolve, seeded_claims
from bot.core.models import SeededClaim
from tests.core.builders import ACCESS, T0, claim, entry, storyline


def values(title: str, summary: str = "", hours: float = 0) -> dict[str, str]:
    return {
        c.fact: c.value for c in extract_claims(storyline(), entry(title, summary, hours=hours))
    }


def test_headline_states_the_current_value() -> None:
    assert values("Widget 5 suspended by export directive") == {"access_status": "suspended"}
    assert values("Acme: Widget 5 returns to all customers") == {"access_status": "restored"}


def test_recap_phrasing_does_not_claim_an_old_value() -> None:
    assert values("Acme ships an update", "Widget 5 had been suspended in June.") == {}
    assert values("A guide after the suspension of Widget 5") == {}
    assert values("Acme revisits last month's pull", "Retrospective: Widget 5 went dark.") == {}
    # A dated recap: the suspension "on June 1" is eleven days old at T0 (June 12).
    assert values("What changed", "Widget 5 was suspended June 1.") == {}


def test_the_newest_value_in_a_recap_sentence_wins() -> None:
    got = values(
        "Widget 5 returns", "Suspended on June 12, Widget 5 is back after controls were lifted."
    )
    assert got["access_status"] == "restored"


def test_speculation_and_negation_claim_nothing() -> None:
    assert values("Widget 5 could return as soon as Tuesday") == {}
    assert values("Talks end without Widget 5 restored") == {}


def test_qualified_value_beats_plain_value_in_one_clause() -> None:
    got = values("Widget 5 returns only to vetted organizations")
    assert got["access_status"] == "partially-restored"


def test_integer_fact_is_captured() -> None:
    got = values("Widget 5 back after 18-day ban")
    assert got["suspension_days"] == "18"


def test_attribution_and_evidence() -> None:
    (c,) = [
        c
        for c in extract_claims(
            storyline(),
            entry("Widget 5 offline", "Acme says Widget 5 was pulled for every customer."),
        )
        if c.fact == "access_status"
    ]
    assert c.value == "suspended"
    assert c.attribution == "Acme"
    assert "Widget 5" in c.evidence
    (d,) = extract_claims(
        storyline(), entry("Widget 5 pulled, according to the Commerce Department")
    )
    assert d.attribution == "the Commerce Department"


def test_first_claim_is_accepted_and_a_second_source_corroborates() -> None:
    s = storyline()
    first = [claim("available", hours=0, source="a.com")]
    assert resolve(ACCESS, first, storyline=s).value == "available"
    lone = [*first, claim("suspended", hours=5, source="b.com")]
    view = resolve(ACCESS, lone, storyline=s)
    assert view.value == "available" and view.disputed
    assert {c.value for c in view.contenders} == {"available", "suspended"}
    both = [*lone, claim("suspended", hours=6, source="c.com")]
    view = resolve(ACCESS, both, storyline=s)
    assert view.value == "suspended" and not view.disputed
    assert view.since == T0.replace(hour=18)


def test_an_authoritative_source_is_enough() -> None:
    s = storyline()
    view = resolve(
        ACCESS,
        [
            claim("available", hours=0, source="a.com"),
            claim("suspended", hours=1, source="acme.com"),
        ],
        storyline=s,
    )
    assert view.value == "suspended" and not view.disputed


def test_a_late_arriving_old_article_never_overrides_a_newer_state() -> None:
    s = storyline()
    newer = [
        claim("available", hours=0, source="a.com"),
        claim("suspended", hours=10, source="b.com"),
        claim("suspended", hours=11, source="c.com"),
    ]
    late = [
        claim("available", hours=1, source="d.com"),
        claim("available", hours=2, source="e.com"),
    ]
    # Arrival order: the old articles come last; publication order decides.
    view = resolve(ACCESS, [*newer, *late], storyline=s)
    assert view.value == "suspended" and not view.disputed


def test_a_lone_source_with_a_new_value_is_disputed_not_adopted() -> None:
    s = storyline()
    claims = [
        claim("suspended", hours=0, source="a.com"),
        claim("suspended", hours=1, source="b.com"),
        claim("restored", hours=30, source="podcast.fm"),
    ]
    view = resolve(ACCESS, claims, storyline=s)
    assert view.value == "suspended" and view.disputed
    who = {c.value: c.source for c in view.contenders}
    assert who["restored"] == "podcast.fm"
    # The same outlet later agrees with everyone else: the dispute ends.
    view = resolve(
        ACCESS, [*claims, claim("suspended", hours=40, source="podcast.fm")], storyline=s
    )
    assert view.value == "suspended" and not view.disputed


def test_going_back_to_an_earlier_value_needs_more_than_two_outlets() -> None:
    s = storyline()
    claims = [
        claim("available", hours=0, source="a.com"),
        claim("suspended", hours=1, source="b.com"),
        claim("suspended", hours=2, source="c.com"),
        claim("available", hours=3, source="d.com"),
        claim("available", hours=4, source="e.com"),
    ]
    assert resolve(ACCESS, claims, storyline=s).value == "suspended"
    more = [*claims, claim("available", hours=5, source="f.com")]
    assert resolve(ACCESS, more, storyline=s).value == "available"


def test_seeded_history_takes_part_like_other_claims() -> None:
    spec = ACCESS.__class__(
        **{
            **{f: getattr(ACCESS, f) for f in ACCESS.__slots__},  # type: ignore[attr-defined]
            "history": (SeededClaim("suspended", T0, "acme.com"),),
        }
    )
    s = storyline(facts=(spec,))
    seeded = seeded_claims([s])[(s.id, "access_status")]
    assert seeded[0].seeded
    view = resolve(spec, [*seeded, claim("restored", hours=1, source="x.com")], storyline=s)
    assert view.value == "suspended" and view.disputed
