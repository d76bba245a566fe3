"""Fact claims and resolution: recaps don't flip, publication order rules,
a lone source makes a dispute, attribution is kept."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.reader import extract_claims, read_item
from bot.core.resolve import resolve, seeded_claims
from bot.core.storyline import FactSpec, FactValueSpec, SeededClaim, Sibling, TermGroup
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


def test_going_back_to_an_earlier_value_needs_two_outlets_after_the_last_change() -> None:
    s = storyline()
    claims = [
        claim("available", hours=0, source="a.com"),
        claim("suspended", hours=1, source="b.com"),
        claim("suspended", hours=2, source="c.com"),
        # published before the change: no support for going back
        claim("available", hours=1.5, source="x.com"),
        claim("available", hours=3, source="d.com"),
    ]
    view = resolve(ACCESS, claims, storyline=s)
    assert view.value == "suspended" and view.disputed
    more = [*claims, claim("available", hours=4, source="e.com")]
    assert resolve(ACCESS, more, storyline=s).value == "available"
    # two pages of one outlet are one outlet
    same = [*claims, claim("available", hours=4, source="m.d.com")]
    assert resolve(ACCESS, same, storyline=s).value == "suspended"


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


# --- the event vocabulary, subjects, qualifiers, stances ------------------------------------

LABEL = FactSpec(
    id="label_status",
    label="Label",
    kind="enum",
    subject=("designation", "label", "supply chain risk", "Acme"),
    values=(
        FactValueSpec("threatened", "Threatened", (), events=("threaten", "may designate")),
        FactValueSpec("designated", "Designated", (), events=("designate",)),
        # A fact about a restriction: a court stopping the label lifts it (the
        # restriction model), so "blocked" names that lift beside the stop acts
        # aimed at whoever enforces it ("bars the Pentagon from enforcing …").
        FactValueSpec(
            "blocked",
            "Blocked",
            (),
            events=("stop", "lift"),
            subject=("designation", "label", "supply chain risk"),
        ),
        FactValueSpec(
            "partially-blocked",
            "Partially blocked",
            (),
            events=("deny", "keep", "not pause", "not halt", "not lift"),
            subject=("stay", "label", "designation"),
            partial_of="blocked",
        ),
    ),
)
NEW_ACCESS = FactSpec(
    id="access_status",
    label="Access",
    kind="enum",
    subject=("Widget 5", "Widget", "model", "access"),
    values=(
        FactValueSpec("available", "Available", (), events=("launch",)),
        FactValueSpec("suspended", "Suspended", (), events=("stop",)),
        FactValueSpec("partially-restored", "Partially", (), events=(), partial_of="restored"),
        FactValueSpec("restored", "Restored", (), events=("resume",)),
    ),
)


def said(spec: FactSpec, title: str, summary: str = "") -> str | None:
    got = extract_claims(storyline(facts=(spec,)), entry(title, summary))
    return got[0].value if got else None


@pytest.mark.parametrize(
    ("title", "value"),
    [
        ("Regulator pauses Widget 5 nationwide", "suspended"),
        ("Commerce bars Widget 5 exports", "suspended"),
        ("Commerce Department halts access to Widget 5", "suspended"),
        ("Acme shut Widget 5 down overnight", "suspended"),
        ("Widget 5 is no longer suspended", "restored"),
        ("Widget 5 cleared for vetted domestic organisations", "partially-restored"),
        ("Access to Widget 5 returns only for approved partners", "partially-restored"),
        ("Widget 5 reinstated for US customers", "partially-restored"),
        ("Widget 5 returns globally after controls are lifted", "restored"),
        ("Acme launches Widget 5", "available"),
        ("Commerce refused to halt Widget 5", None),
        ("Widget 5 could be suspended next week", None),
    ],
)
def test_event_vocabulary_without_cue_lists(title: str, value: str | None) -> None:
    assert said(NEW_ACCESS, title) == value


@pytest.mark.parametrize(
    ("title", "value"),
    [
        ("Pentagon weighs labelling Acme a supply chain risk", "threatened"),
        ("Pentagon designates Acme a supply chain risk", "designated"),
        ("Judge bars Pentagon from enforcing Acme label", "blocked"),
        ("Judge halts the supply chain risk designation", "blocked"),
        ("Appeals court declined to pause the label", "partially-blocked"),
        ("Court denies Acme's emergency stay", "partially-blocked"),
        ("Judge blocks one of the two designations", "partially-blocked"),
        ("Court refused to halt the designation", "partially-blocked"),
        ("Appeals court lets the Acme label stand while the case goes on", "partially-blocked"),
        ("A judge's order stops the department enforcing the label", "blocked"),
        ("Court bars the Pentagon from applying its label to Acme", "blocked"),
        ("Appeals court won't halt the Acme designation", "partially-blocked"),
        ("Pentagon warns Acme it could be labelled a supply chain risk", "threatened"),
        ("Pentagon issues an ultimatum to Acme", "threatened"),
        ("Pentagon official insists Acme remains designated a supply chain risk", None),
        ("White House carves out an exemption to the Acme designation", None),
    ],
)
def test_court_and_agency_events(title: str, value: str | None) -> None:
    assert said(LABEL, title) == value


def test_the_subject_must_be_in_the_clause_of_the_event() -> None:
    # A court halting some other directive says nothing about the label.
    assert said(LABEL, "Judge halts a state directive on school phones") is None
    assert said(NEW_ACCESS, "Regulator pauses a rival's chatbot") is None


def test_a_partys_stance_is_a_position_not_a_claim() -> None:
    got = read_item(
        storyline(facts=(LABEL,)),
        entry("Pentagon official insists Acme remains designated a supply chain risk"),
    )
    assert got.claims == ()
    assert [(p.value, p.attribution) for p in got.positions] == [
        ("designated", "Pentagon official")
    ]


def test_an_official_restating_an_earlier_state_does_not_outrank_a_court() -> None:
    s = storyline(authoritative_sources=("defense.gov",))
    spec = LABEL
    claims = [
        claim("designated", hours=0, source="a.com", fact="label_status"),
        claim("blocked", hours=10, source="b.com", fact="label_status"),
        claim("blocked", hours=11, source="c.com", fact="label_status"),
        claim("designated", hours=20, source="defense.gov", fact="label_status"),
    ]
    view = resolve(spec, claims, storyline=s)
    assert view.value == "blocked" and view.disputed
    # For an act it performs (a step forward) the official source is enough.
    view = resolve(spec, claims[:1] + claims[3:], storyline=s)
    assert view.value == "designated"


def test_files_without_events_learn_the_vocabulary_from_value_names() -> None:
    old = FactSpec(
        id="access_status",
        label="Access",
        kind="enum",
        values=(
            FactValueSpec("available", "Available", ("launched",)),
            FactValueSpec("blocked", "Blocked", ("blocked",)),
            FactValueSpec("restored", "Restored", ("restored",)),
        ),
    )
    assert said(old, "Regulator pauses Widget 5 in Italy") == "blocked"
    assert said(old, "Widget 5 reopens to Italian users") == "restored"
    assert said(old, "Widget 5 rolls out to everyone") == "available"


# --- text values across languages, ceilings, the first state ----------------------------

FINE = FactSpec(
    id="fine_amount",
    label="Fine",
    kind="text",
    values=(),
    patterns=(
        r"(?P<value>(?:€|eur )\s?\d+(?:[.,]\d+)? ?(?:million|m)\b)",
        r"(?P<value>\d+(?:[.,]\d+)? (?:million|milioni di|millones de|Millionen) (?:euros?|EUR))",
    ),
)
FINED = FactSpec(
    id="investigation_status",
    label="Investigation",
    kind="enum",
    values=(
        FactValueSpec("open", "Open", ("investigation",)),
        FactValueSpec("fined", "Fined", ("fined", "fine", "multa", "amende")),
    ),
)


@pytest.mark.parametrize(
    "title",
    [
        "Regulator fines Acme €15 million",
        "Il Garante multa Acme per 15 milioni di euro",
        "Acme soll 15 Millionen Euro zahlen",
        "Multa de 15 millones de euros para Acme",
        "Acme hit with EUR 15m penalty",
    ],
)
def test_one_fine_in_several_languages_is_one_value(title: str) -> None:
    assert said(FINE, title) == "€15 million"


def test_reports_of_one_fine_in_two_languages_agree() -> None:
    s = storyline(facts=(FINE,))
    claims = [
        *extract_claims(s, entry("Regulator fines Acme €15 million", source="a.com")),
        *extract_claims(s, entry("Acme, multa da 15 milioni di euro", hours=2, source="b.it")),
        *extract_claims(s, entry("Acme soll 15 Millionen Euro zahlen", hours=3, source="c.de")),
    ]
    assert len(claims) == 3
    view = resolve(FINE, claims, storyline=s)
    assert view.value == "€15 million" and not view.disputed


@pytest.mark.parametrize(
    ("spec", "title"),
    [
        (FINE, "Acme faces fines of up to €20 million"),
        (FINE, "Acme ha 20 giorni, pena una multa fino a 20 milioni di euro"),
        (FINE, "Acme debe responder o enfrentar multas de hasta el 4% o 20 millones de euros"),
        (FINED, "Acme has 20 days to comply, on pain of a fine"),
        (FINED, "Acme a 20 jours, sous peine d'une amende pouvant atteindre 20 millions"),
        (FINED, "Acme arrisca uma multa até 20 milhões de euros"),
    ],
)
def test_a_penaltys_ceiling_or_threat_is_not_a_penalty(spec: FactSpec, title: str) -> None:
    assert said(spec, title) is None


@pytest.mark.parametrize(
    "title",
    [
        "Widget 5 passes 1.4 million users in Italy",
        "Widget 5: 1,4 milioni di utenti a gennaio",
        "In Italia Widget 5 è più popolare di Wikipedia",
    ],
)
def test_reports_of_use_register_the_launch_state(title: str) -> None:
    assert said(NEW_ACCESS, title) == "available"


def test_use_reported_beside_a_stop_is_the_stop() -> None:
    assert said(NEW_ACCESS, "Widget 5 suspended for its 1.4 million users") == "suspended"


@pytest.mark.parametrize(
    "title",
    [
        "Tras el bloqueo de Widget 5, el regulador abre una investigación",
        "Dal blocco di Widget 5 all'indagine sul regolatore",
        "Dopo il blocco di Widget 5, il regolatore apre un'indagine",
        "Depuis le blocage de Widget 5, le régulateur enquête",
    ],
)
def test_recaps_in_other_languages_claim_nothing(title: str) -> None:
    assert said(NEW_ACCESS, title) is None


def test_by_the_regulator_is_no_recap() -> None:
    assert said(NEW_ACCESS, "Dal regolatore arriva il blocco di Widget 5") == "suspended"


def test_a_clause_about_a_sibling_story_claims_nothing() -> None:
    base = storyline(facts=(NEW_ACCESS,))
    rules = replace(
        base.match,
        subjects=(TermGroup("product", ("Widget 5",)),),
        siblings=(Sibling("other-products", ("Gadget 2",), instead_of="subjects"),),
    )
    s = replace(base, match=rules)
    got = extract_claims(s, entry("Regulator blocks the Gadget 2 model in Italy"))
    assert got == []
    own = extract_claims(s, entry("Regulator blocks Widget 5, as it did Gadget 2"))
    assert [c.value for c in own] == ["suspended"]


def test_users_named_without_a_number_are_no_report_of_use() -> None:
    assert said(NEW_ACCESS, "Widget 5 无法筛选用戶") is None
    assert said(NEW_ACCESS, "Widget 5 已有1亿用户") == "available"


@pytest.mark.parametrize(
    ("spec", "title"),
    [
        (FINED, "Acme avoided a fine by complying in time"),
        (FINED, "Acme sembra aver evitato una multa"),
        (FINED, "Acme rischiava una multa potenziale di 20 milioni"),
    ],
)
def test_an_avoided_or_potential_penalty_is_no_penalty(spec: FactSpec, title: str) -> None:
    assert said(spec, title) is None


def test_a_court_suspending_the_regulators_order_lifts_it() -> None:
    # The restriction model: suspending an order on Widget 5 is no stop of Widget 5.
    assert said(NEW_ACCESS, "Il giudice sospende il provvedimento su Widget 5") == "restored"
    assert said(NEW_ACCESS, "Il giudice sospende la multa su Widget 5") is None


def test_an_item_headlined_on_a_sibling_story_claims_nothing() -> None:
    base = storyline(facts=(NEW_ACCESS,))
    rules = replace(
        base.match,
        subjects=(TermGroup("product", ("Widget 5",)),),
        siblings=(Sibling("other-products", ("Gadget 2",), instead_of="subjects"),),
    )
    s = replace(base, match=rules)
    got = extract_claims(s, entry("Gadget 2 blocked by the regulator", "The model was suspended."))
    assert got == []


@pytest.mark.parametrize(
    ("title", "value"),
    [
        ("Bloqueó el servicio por recoger datos con fines de entrenamiento", None),
        ("Alla fine del mese il servizio resta sospeso per la società", None),
        ("Acme pays fines of 15 million to the regulator", "fined"),
        ("Acme hit with fine over data", "fined"),
    ],
)
def test_an_english_cue_that_is_another_word_abroad(title: str, value: str | None) -> None:
    spec = replace(
        FINED, values=(FINED.values[0], replace(FINED.values[1], cues=("fine", "fines")))
    )
    assert said(spec, title) == value


def test_a_date_that_says_when_the_case_began_is_no_recap() -> None:
    # Published in June 2026 (T0): the 2025 date dates the opening, the fine is news.
    title = "Il regolatore ha chiuso il procedimento avviato il 31 marzo 2025 con una multa"
    assert said(FINED, title) == "fined"
    assert said(FINED, "The investigation opened in 2025 ends with a fine for Acme") == "fined"
    assert said(FINED, "The 2025 fine is still unpaid") is None
