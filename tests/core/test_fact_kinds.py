"""A fact kind is one class and one registration: a kind defined here, and
registered, is accepted by storyline files, read from items, resolved and shown
with nothing else changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config.storylines import load_storyline
from bot.core import fact_kinds
from bot.core.fact_kinds import FactKind, register
from bot.core.items import Entry
from bot.core.reader import read_item
from bot.core.resolve import resolve, seeded_claims
from bot.core.storyline import FactSpec
from bot.errors import ConfigError


class PercentKind(FactKind):
    """A share of something: "45%", "45 per cent", "45.0 percent"."""

    name = "percent"

    def canonical(self, said: str, raw: str, spec: FactSpec) -> str | None:
        number = re.search(r"\d+(?:[.,]\d+)?", said)
        return f"{number.group().replace(',', '.')}%" if number else None

    def value_problem(self, value: str, spec: FactSpec) -> str | None:
        return None if re.fullmatch(r"\d+(?:\.\d+)?%", value) else f"{value!r} is not a share"

    def same(self, a: str, b: str) -> bool:
        return float(a.rstrip("%")) == float(b.rstrip("%"))

    def label(self, spec: FactSpec, value: str) -> str:
        return f"{value.rstrip('%')} per cent"


STORYLINE = """\
id: referendum
title: The Ostland referendum
match:
  actors: [{name: commission, phrases: [electoral commission]}]
  topics: [{name: vote, phrases: [referendum, turnout]}]
facts:
  - id: turnout
    label: Turnout
    kind: percent
    patterns:
      - 'turnout (?:reached|of|was) (?P<value>\\d+(?:[.,]\\d+)? ?(?:%|per ?cent))'
    history:
      - {value: "{seeded}", date: 2026-06-01, source: commission.example}
"""


@pytest.fixture
def percent() -> Iterator[None]:
    """The percent kind registered for one test (the registry as it was after)."""
    saved = dict(fact_kinds.KINDS)
    register(PercentKind())
    yield
    fact_kinds.KINDS.clear()
    fact_kinds.KINDS.update(saved)


def _file(tmp_path: Path, seeded: str = "40%") -> Path:
    path = tmp_path / "referendum.yaml"
    path.write_text(STORYLINE.replace("{seeded}", seeded))
    return path


def _item(key: str, title: str, day: int, source: str) -> Entry:
    when = datetime(2026, 6, day, 12, tzinfo=UTC)
    return Entry(
        feed_id=1,
        key=key,
        guid=key,
        title=title,
        summary="",
        url=f"https://{source}/{key}",
        published=when,
        first_seen=when,
        source=source,
    )


@pytest.mark.usefixtures("percent")
def test_a_registered_kind_is_read_resolved_and_shown(tmp_path: Path) -> None:
    storyline = load_storyline(_file(tmp_path))
    turnout = storyline.fact("turnout")
    assert turnout.kind == "percent" and turnout.history[0].value == "40%"

    items = [
        _item("a", "Electoral commission: referendum turnout reached 45 per cent", 8, "a.example"),
        _item("b", "Referendum turnout was 45.0 percent, officials say", 9, "b.example"),
    ]
    claims = [c for item in items for c in read_item(storyline, item).claims]
    assert [c.value for c in claims] == ["45%", "45.0%"]

    # Two outlets agree on one share (the kind's ``same``), over the seeded 40%.
    seeded = seeded_claims([storyline])[("referendum", "turnout")]
    view = resolve(turnout, [*seeded, *claims], storyline=storyline)
    assert view.value == "45.0%" and not view.disputed
    assert turnout.value_label(view.value) == "45.0 per cent"
    alone = resolve(turnout, [*seeded, claims[0]], storyline=storyline)
    assert alone.value == "40%" and alone.disputed


@pytest.mark.usefixtures("percent")
def test_the_kind_checks_the_file_history(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_storyline(_file(tmp_path, seeded="most"))
    message = str(info.value)
    assert "referendum.yaml" in message and "facts[0]" in message
    assert "history[0].value 'most' is not a share" in message


def test_an_unknown_kind_names_the_file_the_field_and_the_known_kinds(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_storyline(_file(tmp_path))
    message = str(info.value)
    assert "referendum.yaml" in message and "facts[0].kind" in message
    assert "unknown fact kind 'percent'; known kinds: enum, integer, text" in message


def test_a_kind_name_is_registered_once() -> None:
    class Again(FactKind):
        name = "enum"

    with pytest.raises(ValueError, match="new name"):
        register(Again())
    assert type(fact_kinds.KINDS["enum"]).__name__ == "EnumKind"
