"""Storyline drafts from unmatched items: clustering and drafting on a made-up
dispute reported in two languages (bot.core.suggest, pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.config.drafts import write_drafts
from bot.config.storylines import load_storyline
from bot.core.items import Entry
from bot.core.match import Matcher
from bot.core.names import is_government, names_in
from bot.core.storyline import MatchRules, TermGroup
from bot.core.suggest import Suggestion, SuggestSettings, acts_in, suggest
from tests.core.builders import storyline
from tests.support.made_up_dispute import DISPUTE, LONE, OTHER, T0, rows

NOW = T0 + timedelta(days=30)


def entries(items: list[tuple[str, str, float, str, str]] | None = None) -> list[Entry]:
    feeds: dict[str, int] = {}
    out = []
    for r in rows(items):
        published = datetime.fromisoformat(r["published"])
        out.append(
            Entry(
                feed_id=feeds.setdefault(r["source"], len(feeds) + 1),
                key=r["id"],
                guid=r["id"],
                url=r["url"],
                title=r["title"],
                summary=r["summary"],
                published=published,
                first_seen=published,
                source=r["source"],
            )
        )
    return out


def only(found: list[Suggestion]) -> Suggestion:
    assert len(found) == 1, [s.title for s in found]
    return found[0]


def test_the_dispute_in_two_languages_is_one_candidate_story() -> None:
    found = only(suggest(entries(), [], now=NOW))
    assert {e.key for e in found.items} == {k for k, *_ in DISPUTE}
    assert found.outlets == (
        "courts.example",
        "dailywire.example",
        "notizie.example",
        "techbeat.example",
    )
    assert found.subjects == ("Kestrel X",)
    assert found.actors == ("Skylark",)
    assert set(found.parties) == {"Transport Ministry", "Ministero dei Trasporti"}
    assert found.id == "kestrel-x-skylark"
    assert found.title.startswith("Kestrel X / Skylark")
    # The acts in the order the news reported them, each named after the act the
    # most items report: "bans"/"ban" (k1, k3) ties with "suspends"/"sospeso" (k3,
    # k4) and the first reported wins; "blocca ... bloccato" (k2) votes once.
    assert [(v.value, v.events) for v in found.values] == [
        ("barred", ("stop",)),
        ("lifted", ("resume",)),
    ]
    assert found.first == T0 and found.last == T0 + timedelta(days=13)


def test_a_story_one_outlet_reports_or_too_few_items_is_no_candidate() -> None:
    # Three items of a second dispute from one outlet: not a story yet.
    assert suggest(entries([*LONE, *OTHER]), [], now=NOW) == []
    # Two items of the dispute from two outlets: below the three items asked.
    assert suggest(entries(DISPUTE[:2]), [], now=NOW) == []
    two = SuggestSettings(min_items=2)
    assert len(only(suggest(entries(DISPUTE[:2]), [], now=NOW, settings=two)).items) == 2


def test_items_a_live_storyline_takes_or_took_are_left_out() -> None:
    live = storyline(
        id="kestrel",
        match=MatchRules(
            actors=(),
            topics=(),
            subjects=(TermGroup("drone", ("Kestrel X",)),),
            parties=(TermGroup("ministry", ("Transport Ministry",)),),
        ),
    )
    # The English items naming the ministry match the live storyline; three
    # Italian ones and one English item remain, from two outlets.
    left = suggest(entries(), [live], now=NOW)
    taken = {e.key for e in entries() if Matcher([live]).match(e)[0].matched}
    assert taken and all(taken.isdisjoint(e.key for e in s.items) for s in left)
    # What the store says a storyline took is left out too.
    stored = {(e.feed_id, e.key) for e in entries(DISPUTE[:4])}
    rest = only(suggest(entries(), [], now=NOW, matched=stored))
    assert {e.key for e in rest.items} == {"k5", "k6", "k7"}


def test_only_items_of_the_window_count_and_the_clock_is_injected() -> None:
    # Seen from the day of the court ruling, with a window of three days.
    found = suggest(entries(), [], now=T0 + timedelta(days=13), since=timedelta(days=3))
    assert {e.key for e in only(found).items} == {"k5", "k6", "k7"}
    assert suggest(entries(), [], now=T0 - timedelta(days=1)) == []


def test_news_without_a_government_body_or_an_act_is_off_topic() -> None:
    quiet = [
        (k, outlet, days, f"Skylark shows the Kestrel X at the {place} fair", "")
        for (k, outlet, days, *_), place in zip(DISPUTE, "ABCDEFG", strict=True)
    ]
    assert suggest(entries(quiet), [], now=NOW) == []


def test_a_story_going_quiet_for_long_starts_again() -> None:
    later = [(f"{k}-2", outlet, days + 200, t, s) for k, outlet, days, t, s in DISPUTE]
    found = suggest(entries([*DISPUTE, *later]), [], now=NOW + timedelta(days=200))
    assert len(found) == 2
    assert found[0].id != found[1].id and found[1].id.startswith(found[0].id)


def test_the_draft_loads_through_the_real_loader_and_matches_the_story(tmp_path: Path) -> None:
    found = suggest(entries(), [], now=NOW)
    [path] = write_drafts(found, tmp_path / "suggested")
    draft = load_storyline(path, now=NOW)
    assert draft.id == path.stem == "kestrel-x-skylark"
    assert [v.value for v in draft.facts[0].values] == ["barred", "lifted"]
    matcher = Matcher([draft])
    hits = {e.key for e in entries() if matcher.match(e)[0].matched}
    assert hits == {k for k, *_ in DISPUTE}


def test_names_are_read_from_capitals_suffixes_and_generic_nouns() -> None:
    def texts(text: str) -> list[str]:
        return [n.text for n in names_in(text)]

    assert texts("Judge Rita Lin halts Pentagon's label") == ["Judge Rita Lin", "Pentagon"]
    assert texts("Anthropic restores Fable 5 and Mythos 5 on June 30") == [
        "Anthropic",
        "Fable 5",
        "Mythos 5",
    ]
    assert texts("Skylark And The Ministry Reach A Deal On Drones") == []  # Title Case
    assert "美国商务部" in texts("美国商务部下令停用")
    for body in ("transport ministry", "d.c. circuit", "garante privacy", "美国商务部", "cour"):
        assert is_government(body)
    assert not is_government("skylark")


def test_acts_are_read_in_several_languages_and_only_when_done() -> None:
    def kinds(text: str) -> list[tuple[str, str]]:
        return [(a.kind, a.cls) for a in acts_in(text)]

    assert kinds("Transport Ministry bans the Kestrel X") == [("bar", "stop")]
    assert kinds("Il ministero blocca il Kestrel X") == [("block", "stop")]
    assert kinds("Court lifts the suspension") == [("lift", "resume")]
    # An act on a restriction is what it does to it: suspending a ban lifts it.
    assert kinds("Court suspends the ban") == [("lift", "resume")]
    assert kinds("Appeals court reinstates the ban") == [("impose", "stop")]
    assert kinds("The ministry could ban the drone") == []  # a hedge is no act done
    assert kinds("The ministry plans to ban the drone") == []  # nor is a plan
    assert kinds("A year ago the ministry banned the drone") == []  # nor a retelling
    assert ("block", "stop") not in kinds("The court refused to block it")  # refused


def test_the_story_own_words_are_topics_and_very_common_words_are_not() -> None:
    # Every report speaks of the airspace "while" the ban lasts; the everyday
    # news around it never does.
    said = [(k, o, d, t, f"{s} Airspace rules apply while it lasts.") for k, o, d, t, s in DISPUTE]
    news = [
        (f"n{i}", "city.example", i, f"Road works on Main Street, week {i}", "") for i in range(20)
    ]
    items = entries([*said, *news])
    plain = only(suggest(items, [], now=NOW))
    assert "while" in plain.topics
    assert any("airspace" in t for t in plain.topics)

    def zipf(word: str) -> float:
        return 6.0 if word == "while" else 2.0

    careful = only(suggest(items, [], now=NOW, commonness=zipf))
    assert any("airspace" in t for t in careful.topics) and "while" not in careful.topics
