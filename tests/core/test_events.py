"""The event vocabulary reads news phrasing it was never given: inflections,
phrasal verbs, negation, refusals, "no longer" and threats."""

from __future__ import annotations

import pytest

from bot.core.reader import Event, default_lexicon, find_events


def _polarity(e: Event) -> str:
    return "affirmed" if e.factuality.polarity == "positive" else "negated"


def _modality(e: Event) -> str:
    f = e.factuality
    return "actual" if f.certainty == "certain" and f.time == "current" else "possible"


def kinds(text: str) -> set[tuple[str, str, str]]:
    """(kind, affirmed|negated, actual|possible) of each event of the clause."""
    return {(e.kind, _polarity(e), _modality(e)) for e in find_events(text)}


def actual(text: str) -> set[str]:
    """The kinds of the clause's events that happened as told (current, certain)."""
    return {e.kind for e in find_events(text) if e.factuality.moves}


@pytest.mark.parametrize(
    ("form", "kind"),
    [
        ("bars", "bar"),
        ("barred", "bar"),
        ("stopped", "halt"),
        ("denies", "deny"),
        ("labelled", "label"),
        ("designates", "designate"),
        ("paused", "pause"),
        ("appealed", "appeal"),
        ("froze", "freeze"),
        ("upheld", "uphold"),
        ("reopening", "reopen"),
    ],
)
def test_every_form_of_a_lemma_is_the_event(form: str, kind: str) -> None:
    # The lexicon lists lemmas; the lemmatiser brings each form back to one.
    assert kind in {e.kind for e in find_events(f"the court {form} the company's product")}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("regulator pauses the chatbot nationwide", "pause"),
        ("appeals court bars the agency from enforcing the rule", "bar"),
        ("judge halts the government directive", "halt"),
        ("commerce department freezes exports of the model", "freeze"),
        ("the service was cut off for every customer", "cut_off"),
        ("the company shut the model down overnight", "disable"),
        ("ministry blacklists the vendor", "blacklist"),
        ("pentagon classifies the lab as a supply chain risk", "classify"),
        ("the watchdog lifts its temporary limitation", "lift"),
        ("access reinstated after review", "restore"),
        ("the model is back online", "restore"),
        ("app reopens to users in italy", "reopen"),
        ("mythos 5 cleared for vetted organisations", "clear"),
        ("judge sides with the startup", "side_with"),
        ("white house carves out an exemption for the nsa", "carve_out"),
        ("the court upheld the designation", "uphold"),
        ("the circuit overturns the injunction", "overturn"),
        ("panel rejects the company's bid", "deny"),
        ("pentagon issues an ultimatum", "threaten"),
        ("the lab launched its new model tuesday", "launch"),
        ("startup sues the commerce department", "sue"),
        ("judge granted the company a preliminary injunction", "enjoin"),
        ("d.c. circuit denies anthropic's emergency stay", "stay"),
    ],
)
def test_phrasings_not_listed_anywhere_are_understood(text: str, kind: str) -> None:
    assert kind in actual(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("the court refused to halt the designation", "halt"),
        ("the appeals court declined to pause the label", "pause"),
        ("the judge fails to block the order", "block"),
        ("talks end without lifting the controls", "lift"),
        ("the panel won't pause the label", "pause"),
        ("the model was not restored", "restore"),
    ],
)
def test_negation_and_refusal(text: str, kind: str) -> None:
    assert (kind, "negated", "actual") in kinds(text)
    assert kind not in actual(text)


def test_no_longer_reverses_the_event() -> None:
    assert "restore" in actual("fable 5 is no longer suspended")
    assert "halt" in actual("the model is no longer available")


@pytest.mark.parametrize(
    "text",
    [
        "the model could be blocked next week",
        "if the court sides with the pentagon",
        "the agency is set to lift the ban",
        "officials may designate the company",
        "fable 5 return near",
    ],
)
def test_speculation_is_only_possible(text: str) -> None:
    events = find_events(text)
    assert events
    assert all(_modality(e) == "possible" for e in events)


def test_a_threat_is_an_actual_warning_of_a_possible_act() -> None:
    got = kinds("hegseth weighs blacklisting anthropic")
    assert ("threaten", "affirmed", "actual") in got
    assert ("blacklist", "affirmed", "possible") in got


def test_words_that_only_look_like_events() -> None:
    assert actual("claude is built into classified workflows") == set()
    assert actual("it is clear that the talks failed") == set()
    assert "stay" not in actual("the model will stay online")
    # a hearing is procedure: no injunction is granted by it
    assert actual("a hearing on a preliminary injunction") == {"hear"}


def test_kind_names_as_a_storyline_writes_them() -> None:
    lexicon = default_lexicon()
    assert lexicon.canonical("Cut off") == "cut_off"
    assert lexicon.canonical("side-with") == "side_with"
    assert lexicon.is_known("stop") and lexicon.is_known("enjoin")
    assert not lexicon.is_known("teleport")
    assert {"block", "enjoin", "pause"} <= lexicon.expand("stop")
    assert lexicon.expand("block") == {"block"}


def test_weighing_threatens_only_an_act_and_denying_an_allegation_is_no_ruling() -> None:
    assert "threaten" not in actual("a panel weighed whether a public stance can count as a risk")
    assert "threaten" in actual("the ministry is considering a ban on the app")
    assert "deny" not in actual("the department denied the designation was payback")
    assert "deny" in actual("the court denied the company's emergency stay")


def test_an_ending_stops_only_the_noun_it_follows() -> None:
    assert any(
        e.effect == "lift" for e in find_events("first ai 'blackout' on security grounds ends")
    )
    assert not any(
        e.effect == "lift"
        for e in find_events("talks over the directive that took fable 5 offline ended")
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("il garante della privacy blocca chatgpt in italia", "block"),
        ("chatgpt di nuovo disponibile in italia", "restore"),
        ("un juge fédéral stoppe l'étiquette du pentagone", "block"),
        ("italia prohíbe temporalmente chatgpt", "bar"),
        ("五角大廈首次把美國科企列為「供應鏈風險」", "designate"),
    ],
)
def test_common_forms_in_other_languages(text: str, kind: str) -> None:
    assert kind in actual(text)


def test_threats_and_plans_in_other_languages_are_only_possible() -> None:
    assert ("designate", "affirmed", "possible") in kinds(
        "五角大樓威脅把anthropic列為「供應鏈風險」"
    )
    assert ("designate", "affirmed", "possible") in kinds(
        "ヘグセス長官、アンソロピックを「サプライチェーンリスク」に指定するよう指示"
    )
    assert ("block", "affirmed", "possible") in kinds("il garante potrebbe bloccare chatgpt")
