"""Storyline files: the shipped ones load; broken ones give a clear ConfigError."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.storylines import load_storyline, load_storylines

REPO = Path(__file__).resolve().parents[2]
BROKEN = REPO / "tests" / "data" / "storylines"


def test_shipped_storylines_load_with_required_facts() -> None:
    storylines = {s.id: s for s in load_storylines(REPO / "storylines")}
    assert {"fable-suspension", "dod-dispute"} <= set(storylines)
    assert len(storylines) >= 3
    access = storylines["fable-suspension"].fact("access_status")
    assert [v.value for v in access.values] == [
        "available",
        "suspended",
        "partially-restored",
        "restored",
    ]
    designation = storylines["dod-dispute"].fact("designation_status")
    assert [v.value for v in designation.values] == [
        "threatened",
        "designated",
        "blocked",
        "partially-blocked",
        "upheld",
    ]
    for s in storylines.values():
        assert len(s.facts) >= 2
        for fact in s.facts:
            assert all(h.date.tzinfo is not None for h in fact.history)


def error(name: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_storyline(BROKEN / name)
    message = str(info.value)
    assert name in message and "Traceback" not in message
    return message


def test_yaml_syntax_error_names_the_line() -> None:
    message = error("bad-yaml.yaml")
    assert "line 5" in message and "invalid YAML" in message


def test_field_errors_name_the_field_path_and_line() -> None:
    message = error("bad-field.yaml")
    assert "facts[0].values[0].value" in message  # YAML reads `on` as a boolean
    assert "facts[0].values[2].value" in message
    assert "(line 13)" in message


def test_history_value_must_be_in_the_vocabulary() -> None:
    message = error("bad-history.yaml")
    assert "facts[0]" in message and "'lifted'" in message and "banned" in message


def test_fact_ids_must_be_unique() -> None:
    assert "repeated: status" in error("dup-facts.yaml")


def test_id_must_equal_the_file_name() -> None:
    message = error("wrong-name.yaml")
    assert "'another-id'" in message and "'wrong-name'" in message


def test_pattern_needs_a_value_group() -> None:
    assert "(?P<value>" in error("bad-pattern.yaml")


def test_duplicate_storyline_ids_are_refused(tmp_path: Path) -> None:
    shutil.copy(REPO / "storylines" / "legion-lawsuit.yaml", tmp_path / "legion-lawsuit.yaml")
    text = (tmp_path / "legion-lawsuit.yaml").read_text()
    (tmp_path / "legion-lawsuit.yml").write_text(text)
    with pytest.raises(ConfigError, match="already defined"):
        load_storylines(tmp_path)


def test_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_storylines(tmp_path / "nope")


NEW_FORMAT = """\
id: drone-ban
title: Kestrel X ban
match:
  since: 2026-03-01
  subjects:
    - name: ban
      phrases: [flight safety ban, Kestrel X]
  parties:
    - name: ministry
      phrases: [transport ministry]
  topics:
    - name: events
      phrases: [banned, lifted]
  siblings:
    - name: other-countries
      description: the same drone banned elsewhere
      phrases: [Canada, Japan]
    - name: ipo
      storyline: skylark-ipo
"""


def test_subjects_parties_siblings_and_since_load(tmp_path: Path) -> None:
    path = tmp_path / "drone-ban.yaml"
    path.write_text(NEW_FORMAT)
    rules = load_storyline(path).match
    assert rules.actors == ()
    assert [g.name for g in rules.subjects] == ["ban"]
    assert rules.parties[0].phrases == ("transport ministry",)
    assert [(s.name, s.storyline) for s in rules.siblings] == [
        ("other-countries", None),
        ("ipo", "skylark-ipo"),
    ]
    assert rules.siblings[0].description == "the same drone banned elsewhere"
    assert rules.since is not None and rules.since.isoformat() == "2026-03-01T00:00:00+00:00"


def test_a_sibling_must_say_what_tells_it_apart(tmp_path: Path) -> None:
    path = tmp_path / "drone-ban.yaml"
    path.write_text(NEW_FORMAT.replace("      storyline: skylark-ipo\n", "      description: x\n"))
    with pytest.raises(ConfigError) as info:
        load_storyline(path)
    message = str(info.value)
    assert "drone-ban.yaml" in message and "match.siblings[1]" in message
    assert "(line 18)" in message and "'phrases'" in message


def test_a_storyline_needs_a_subject_or_actors_and_topics(tmp_path: Path) -> None:
    path = tmp_path / "drone-ban.yaml"
    actors_only = "  actors:\n    - name: a\n      phrases: [Skylark]\n"
    text = NEW_FORMAT.split("  subjects:")[0] + actors_only
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_storyline(path)
    assert "match" in str(info.value) and "subjects" in str(info.value)
