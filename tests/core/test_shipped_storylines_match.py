"""The shipped storylines on headlines written for these tests (not corpus items):
one party named, other languages, neighbouring stories."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config.storylines import load_storylines
from bot.core.items import Entry
from bot.core.match import Matcher

REPO = Path(__file__).resolve().parents[2]
MATCHER = Matcher(load_storylines(REPO / "storylines"))


def matched(title: str, summary: str = "", when: str = "2026-06-20") -> set[str]:
    at = datetime.fromisoformat(when).replace(tzinfo=UTC)
    item = Entry(1, title, None, None, title, summary, at, at, "example.com")
    return {r.storyline for r in MATCHER.match(item) if r.matched}


@pytest.mark.parametrize(
    "title",
    [
        # Only the court and the government side, never the company.
        "Appeals court lets the Pentagon keep its supply-chain-risk label for now",
        "Judge's order stops the department enforcing the supply chain risk designation",
        # Other languages.
        "五角大楼将Anthropic列为供应链风险",
        "El Pentágono designa a Anthropic como riesgo para la cadena de suministro",
        "Le Pentagone maintient la désignation d'Anthropic"
        " comme risque pour la chaîne d'approvisionnement",
        "国防総省、Anthropicをサプライチェーンリスクに指定",
    ],
)
def test_dod_dispute_items_that_never_name_both_parties_in_english(title: str) -> None:
    assert matched(title) == {"dod-dispute"}


@pytest.mark.parametrize(
    "title",
    [
        "Commerce Secretary defends the order that took Fable 5 offline",
        "Fable 5の提供停止、米商務省の輸出規制で",
        "Anthropic suspende Fable 5 por los controles de exportación",
        # Commentary: the subject and the company, none of the event verbs.
        "What Fable 5 tells investors about Anthropic's next year",
    ],
)
def test_fable_suspension_items_in_other_words_and_languages(title: str) -> None:
    assert matched(title) == {"fable-suspension"}


@pytest.mark.parametrize(
    "title",
    [
        # Another company designated, another lab's deal, another product, another meaning.
        "Pentagon designates a drone maker a supply-chain risk",
        "OpenAI signs Pentagon deal for any lawful purpose",
        "Anthropic's Opus 4.8 launch: what changed",
        "Fable reboot: the video game's open world explained",
        "Claude Monet's water lilies return to Paris",
    ],
)
def test_neighbouring_stories_match_neither(title: str) -> None:
    assert matched(title) == set()


def test_background_from_before_the_story_is_not_coverage() -> None:
    title = "Anthropic signs a prototype agreement with the Defense Department"
    assert matched(title, when="2025-07-15") == set()
