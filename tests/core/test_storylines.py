"""Storyline files: the shipped ones load; broken ones give a clear ConfigError."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config.storylines import load_storyline, load_storylines
from bot.errors import ConfigError

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


def _with_fact_values(tmp_path: Path, values: str) -> Path:
    path = tmp_path / "gadget.yaml"
    path.write_text(
        "id: gadget\ntitle: Gadget\nmatch:\n  actors: [{name: a, phrases: [Acme]}]\n"
        "  topics: [{name: t, phrases: [gadget]}]\n"
        "facts:\n  - id: status\n    label: Status\n    kind: enum\n"
        "    subject: [gadget, access]\n    qualifiers: [beta testers]\n"
        f"    values:\n{values}"
    )
    return path


def test_fact_values_name_events_subjects_and_partials(tmp_path: Path) -> None:
    path = _with_fact_values(
        tmp_path,
        "      - {value: halted, label: Halted, events: [stop, cut off], subject: [gadget]}\n"
        "      - {value: limited, label: Limited, events: [], partial_of: back}\n"
        "      - {value: back, label: Back, events: [resume, not halt]}\n",
    )
    fact = load_storyline(path).fact("status")
    halted, limited, back = fact.values
    assert halted.events == ("stop", "cut off") and halted.subject == ("gadget",)
    assert limited.partial_of == "back" and limited.events == ()
    assert back.events == ("resume", "not halt")
    assert fact.subject == ("gadget", "access") and fact.qualifiers == ("beta testers",)


def test_an_unknown_event_or_partial_is_a_clear_error(tmp_path: Path) -> None:
    path = _with_fact_values(tmp_path, "      - {value: gone, label: Gone, events: [teleport]}\n")
    with pytest.raises(ConfigError, match=r"unknown event 'teleport'.*known events: .*enjoin"):
        load_storyline(path)
    path = _with_fact_values(
        tmp_path, "      - {value: some, label: Some, events: [], partial_of: all}\n"
    )
    with pytest.raises(ConfigError, match="partial_of 'all' is not another value"):
        load_storyline(path)


def test_files_in_the_old_format_load_unchanged(tmp_path: Path) -> None:
    path = _with_fact_values(
        tmp_path,
        "      - {value: grounded, label: Grounded, cues: [grounded]}\n"
        "      - {value: cleared, label: Cleared, cues: [cleared]}\n",
    )
    status = load_storyline(path).fact("status")
    assert [v.cues for v in status.values] == [("grounded",), ("cleared",)]
    assert all(v.events is None and v.partial_of is None for v in status.values)


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
      instead_of: parties
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
    assert (rules.siblings[0].instead_of, rules.siblings[1].instead_of) == ("parties", None)
    assert rules.since is not None and rules.since.isoformat() == "2026-03-01T00:00:00+00:00"


def test_a_sibling_must_say_what_tells_it_apart(tmp_path: Path) -> None:
    path = tmp_path / "drone-ban.yaml"
    path.write_text(NEW_FORMAT.replace("      storyline: skylark-ipo\n", "      description: x\n"))
    with pytest.raises(ConfigError) as info:
        load_storyline(path)
    message = str(info.value)
    assert "drone-ban.yaml" in message and "match.siblings[1]" in message
    assert "(line 19)" in message and "'phrases'" in message


def test_a_storyline_needs_a_subject_or_actors_and_topics(tmp_path: Path) -> None:
    path = tmp_path / "drone-ban.yaml"
    actors_only = "  actors:\n    - name: a\n      phrases: [Skylark]\n"
    text = NEW_FORMAT.split("  subjects:")[0] + actors_only
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_storyline(path)
    assert "match" in str(info.value) and "subjects" in str(info.value)
