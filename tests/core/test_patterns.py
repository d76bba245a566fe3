"""Storyline patterns cannot hang the bot: a runaway search stops at its time limit."""

from __future__ import annotations

import pytest

from bot.core.patterns import PatternTimeout, search


def test_a_backtracking_pattern_stops_at_its_time_limit() -> None:
    with pytest.raises(PatternTimeout) as caught:
        search(r"(?P<value>(a|aa)+)b", "a" * 60, timeout=0.01)
    assert caught.value.pattern == r"(?P<value>(a|aa)+)b"


def test_simple_nested_repeats_are_searched_without_backtracking() -> None:
    # The example: with Python's re this never returns.
    assert search(r"(?P<value>(a+)+)b", "a" * 40, timeout=0.01) is None


def test_an_honest_pattern_captures_its_value_case_insensitively() -> None:
    m = search(r"(?P<value>\d{1,3}) day (?:ban|pause)", "After an 18 DAY pause", timeout=0.01)
    assert m is not None and m.group("value") == "18"
