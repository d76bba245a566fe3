"""The matcher's general rules, on made-up news about a made-up dispute.

A drone maker, Skylark, is fighting a "flight safety ban" that the transport
ministry imposed on its Kestrel X drone. The items below are written the way news
is written (one party named, commentary, the same ban in another country, another
product), not taken from the labelled corpus.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.match import Matcher, normalise_text
from bot.core.match_result import MatchResult
from bot.core.storyline import MatchRules, Sibling, Storyline, TermGroup
from tests.core.builders import T0, entry, storyline


def drone_ban(**rules: object) -> Storyline:
    match = MatchRules(
        subjects=(TermGroup("ban", ("flight safety ban", "Kestrel X")),),
        actors=(TermGroup("maker", ("Skylark", "Skylark Drones")),),
        parties=(TermGroup("ministry", ("transport ministry", "Minister Okafor")),),
        topics=(TermGroup("events", ("ban", "bans", "banned", "grounded", "lifted", "appeal")),),
        threshold=60,
    )
    for key, value in rules.items():
        match = _with(match, key, value)
    return storyline(id="drone-ban", title="Kestrel X ban", match=match, facts=())


def _with(match: MatchRules, key: str, value: object) -> MatchRules:
    import dataclasses

    return dataclasses.replace(match, **{key: value})  # type: ignore[arg-type]


def one(s: Storyline, title: str, summary: str = "", **kw: object) -> MatchResult:
    (r,) = Matcher([s]).match(entry(title, summary, **kw))  # type: ignore[arg-type]
    return r


def notes(r: MatchResult) -> list[str]:
    return [x.describe() for x in r.reasons if x.note]


# --- both parties, courts and officials ------------------------------------------------------


def test_an_item_naming_only_the_court_and_the_subject_matches() -> None:
    r = one(drone_ban(), "Judge's order stops the ministry enforcing the Kestrel X ban")
    assert r.matched
    assert any(x.group == "authority" and x.weight > 0 for x in r.reasons)


def test_the_other_party_alone_counts_only_with_the_subject() -> None:
    s = drone_ban()
    assert one(s, "Minister Okafor defends the flight safety ban").matched
    # The same minister on another subject is not this storyline.
    other = one(s, "Minister Okafor opens a new motorway bridge")
    assert not other.matched
    assert all(x.weight == 0 for x in other.reasons if x.group.startswith("party"))


def test_a_court_without_the_subject_is_not_enough() -> None:
    assert not one(drone_ban(), "Appeals court upholds ban on street vendors").matched


def test_authorities_work_in_other_languages() -> None:
    assert one(
        drone_ban(), "Tribunal suspende la prohibición del Kestrel X: el gobierno apela"
    ).matched
    assert one(drone_ban(), "法院暂停Kestrel X禁令").matched


# --- commentary and analysis -----------------------------------------------------------------


def test_commentary_is_recognised_by_the_subject_without_event_verbs() -> None:
    r = one(
        drone_ban(),
        "What the Kestrel X saga tells us about Skylark's place in the market",
        "A newsletter on hardware makers and their regulators.",
    )
    assert r.matched
    groups = {x.group for x in r.reasons if x.weight > 0}
    assert {"subject:ban", "actor:maker"} <= groups


def test_a_subject_mentioned_only_in_passing_is_not_enough() -> None:
    r = one(
        drone_ban(),
        "Ten gadgets for the summer",
        "Also: a camera strap, a solar charger and the Kestrel X.",
    )
    assert not r.matched


# --- siblings --------------------------------------------------------------------------------

COUNTRIES = Sibling(
    "other-countries", ("Canada", "Japan", "Brazil"), description="the drone banned elsewhere"
)
PRODUCTS = Sibling("other-products", ("Kestrel Mini", "Osprey 2"), description="another drone")


def test_the_same_event_in_another_country_goes_to_the_sibling() -> None:
    s = drone_ban(siblings=(COUNTRIES,))
    r = one(s, "Canada bans the Kestrel X over flight safety")
    assert not r.matched
    assert any("sibling" in n for n in notes(r))
    assert any(x.group == "sibling:other-countries" and x.weight < 0 for x in r.reasons)
    # Without the sibling it would have matched: the rule is what rejects it.
    assert one(drone_ban(), "Canada bans the Kestrel X over flight safety").matched


def test_the_storyline_keeps_items_that_name_it_first_and_the_sibling_in_passing() -> None:
    s = drone_ban(siblings=(COUNTRIES,))
    r = one(
        s,
        "Transport ministry keeps Kestrel X grounded",
        "Skylark says regulators in Japan and Brazil are watching the case.",
    )
    assert r.matched
    assert all(x.weight == 0 for x in r.reasons if x.group.startswith("sibling"))


def test_a_sibling_that_replaces_the_party_needs_the_party_to_lose() -> None:
    import dataclasses

    countries = dataclasses.replace(COUNTRIES, instead_of="parties")
    title = "Canada bans Skylark's Kestrel X"
    # Maker and drone are both named: two kinds of own evidence keep the item
    # for a sibling that does not say what it replaces …
    assert one(drone_ban(siblings=(COUNTRIES,)), title).matched
    # … but this sibling names another country in place of the ministry.
    r = one(drone_ban(siblings=(countries,)), title)
    assert not r.matched and any("sibling" in n for n in notes(r))
    kept = one(
        drone_ban(siblings=(countries,)),
        "Transport ministry and Canada both ban Skylark's Kestrel X",
    )
    assert kept.matched


def test_another_product_of_the_same_maker_goes_to_the_sibling() -> None:
    s = drone_ban(siblings=(PRODUCTS,))
    assert not one(s, "Skylark's Osprey 2 banned from stadium airspace").matched
    assert one(drone_ban(), "Skylark's Osprey 2 banned from stadium airspace").matched


# --- several storylines ----------------------------------------------------------------------


def rival() -> Storyline:
    """A second storyline that shares the maker's name but is about its IPO."""
    return storyline(
        id="skylark-ipo",
        title="Skylark IPO",
        match=MatchRules(
            actors=(TermGroup("maker", ("Skylark",)),),
            topics=(TermGroup("ipo", ("IPO", "listing", "shares", "ban", "appeal")),),
            threshold=60,
        ),
        facts=(),
    )


def test_the_closer_storyline_wins_when_the_other_never_names_its_subject() -> None:
    matcher = Matcher([drone_ban(), rival()])
    ban, ipo = matcher.match(
        entry("Skylark appeals the Kestrel X flight safety ban", "Minister Okafor responds.")
    )
    assert ban.matched
    assert not ipo.matched
    assert any("drone-ban is closer" in n for n in notes(ipo))


def test_both_storylines_keep_an_item_that_names_both_subjects() -> None:
    ipo = rival()
    ipo = storyline(
        id=ipo.id,
        title=ipo.title,
        match=_with(ipo.match, "subjects", (TermGroup("listing", ("Skylark IPO",)),)),
        facts=(),
    )
    ban, ipo_result = Matcher([drone_ban(), ipo]).match(
        entry("Skylark shares fall after Kestrel X ban", "The Skylark IPO is delayed.")
    )
    assert ban.matched and ipo_result.matched


def test_a_storyline_gives_way_to_a_sibling_storyline_that_scores_higher() -> None:
    ipo = rival()
    ipo = storyline(
        id=ipo.id,
        title=ipo.title,
        match=_with(ipo.match, "siblings", (Sibling("ban", storyline="drone-ban"),)),
        facts=(),
    )
    ban_result, ipo_result = Matcher([drone_ban(), ipo]).match(
        entry("Skylark shares fall after Kestrel X ban", "IPO listing delayed.")
    )
    assert ban_result.matched
    assert ban_result.score > ipo_result.score and not ipo_result.matched
    assert any("sibling storyline" in n for n in notes(ipo_result))


# --- since -----------------------------------------------------------------------------------


def test_items_from_before_the_story_began_are_background() -> None:
    s = drone_ban(since=T0 + timedelta(days=1))
    r = one(s, "Transport ministry bans the Kestrel X")
    assert not r.matched and any("before the story began" in n for n in notes(r))
    assert one(s, "Transport ministry bans the Kestrel X", hours=48).matched


# --- scripts ---------------------------------------------------------------------------------


def cjk() -> Storyline:
    return storyline(
        id="cjk",
        match=MatchRules(
            subjects=(TermGroup("product", ("Kestrel X", "红隼X", "ケストレルX")),),
            actors=(TermGroup("maker", ("Skylark", "云雀公司", "スカイラーク")),),
            topics=(TermGroup("events", ("禁令", "禁止", "停止", "解除", "ban")),),
            threshold=60,
        ),
        facts=(),
    )


def test_chinese_phrases_match_inside_text_written_without_spaces() -> None:
    r = one(cjk(), "交通部对红隼X实施禁令，云雀公司表示将上诉")
    assert r.matched
    found = {x.term for x in r.reasons if x.weight > 0}
    assert {"红隼X", "禁令", "云雀公司"} <= found


def test_japanese_phrases_and_latin_names_next_to_kana_match() -> None:
    assert one(cjk(), "スカイラーク社のケストレルXが飛行停止に").matched
    assert one(cjk(), "Kestrel Xの販売を禁止、Skylarkは反発").matched


def test_full_width_letters_match_their_plain_form() -> None:
    assert normalise_text("ＫＥＳＴＲＥＬ　Ｘ") == "kestrel x"
    assert one(cjk(), "Ｓｋｙｌａｒｋ：ＫＥＳＴＲＥＬ Ｘ禁止").matched


def test_latin_phrases_still_need_word_boundaries() -> None:
    r = one(cjk(), "Skylarking with the Kestrel Xylophone ban")
    assert not any(x.term == "Skylark" for x in r.reasons)
    assert not r.matched


def test_accented_words_are_words() -> None:
    # "ban" inside "bandeau" is no hit, with or without accents around it.
    r = one(drone_ban(), "Kestrel X: le bandeau Skylark évoqué")
    assert not any(x.term == "ban" for x in r.reasons)


def test_reasons_name_every_rule_that_fired() -> None:
    s = drone_ban(siblings=(COUNTRIES,), since=datetime(2000, 1, 1, tzinfo=UTC))
    r = one(s, "Canada bans the Kestrel X")
    described = [x.describe() for x in r.reasons]
    assert any(d.startswith("subject:ban: 'Kestrel X'") for d in described)
    assert any(d.startswith("sibling:other-countries:") for d in described)


def test_a_subject_mentioned_only_as_background_gives_the_item_to_the_closer_storyline() -> None:
    ipo = storyline(
        id="skylark-ipo",
        title="Skylark IPO",
        match=MatchRules(
            subjects=(TermGroup("listing", ("Skylark IPO",)),),
            actors=(TermGroup("maker", ("Skylark",)),),
            topics=(TermGroup("ipo", ("IPO", "listing", "shares")),),
            threshold=60,
        ),
        facts=(),
    )
    matcher = Matcher([drone_ban(), ipo])
    ban, listing = matcher.match(
        entry(
            "Transport ministry keeps Skylark's Kestrel X grounded",
            "Months after the Skylark IPO, the drone stays banned.",
        )
    )
    assert ban.matched and not listing.matched
    assert any("not in the title" in n for n in notes(listing))
    # With its subject in the title it keeps the item.
    ban, listing = matcher.match(
        entry("Skylark IPO: shares slide as Kestrel X stays grounded", "Ministry keeps the ban.")
    )
    assert ban.matched and listing.matched


def test_accents_do_not_matter_in_latin_scripts_but_kana_marks_do() -> None:
    assert normalise_text("Désignation du Pentágono") == "designation du pentagono"
    s = drone_ban(parties=(TermGroup("minister", ("Élodie Varga",)),))
    assert one(s, "Elodie Varga on the Kestrel X").matched
    assert one(s, "ÉLODIE VARGA ON THE KESTREL X").matched
    # Dakuten change the word in Japanese: ガ is not カ.
    assert normalise_text("ガンダム") != normalise_text("カンタム")
    assert one(cjk(), "ケストレルＸ停止").matched


def test_full_width_and_accented_phrases_match_plain_text() -> None:
    s = storyline(
        id="fw",
        match=MatchRules(
            subjects=(TermGroup("product", ("ＫＥＳＴＲＥＬ Ｘ",)),),
            parties=(TermGroup("ministry", ("Ministère des Transports",)),),
            actors=(),
            topics=(),
        ),
        facts=(),
    )
    assert one(s, "Ministere des transports and the Kestrel X").matched
