"""Storyline patterns cannot hang the bot or exhaust its memory: a runaway search
stops at its time limit, and a pattern too large to compile is refused before
anything is compiled."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest
import regex

from bot.core.patterns import (
    MAX_PATTERN_SIZE,
    PatternTimeout,
    PatternTooLarge,
    compile_pattern,
    pattern_size,
    search,
)


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


# --- bounded compile (issue 18, case 1) -------------------------------------------------------


def _traced_peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?P<value>(?:(?:a{1000}){1000}){1000})",  # 23.7 GB when compiled
        r"(?P<value>(?:a{1000}){1000})",  # 384 MB when compiled
        r"(?P<value>(?:a{100000000}))",
        r"(?P<value>(?:x|(?:yz){500}){500})",
        r"(?P<value>(?:a{10}){1001,})",
    ],
)
def test_nested_counted_repeats_are_refused_before_compiling(pattern: str) -> None:
    def refuse() -> None:
        with pytest.raises(PatternTooLarge, match="repeats too much"):
            compile_pattern(pattern)

    assert _traced_peak(refuse) < 2_000_000


def test_a_pattern_longer_than_the_limit_is_refused_unparsed() -> None:
    with pytest.raises(PatternTooLarge, match="10,001 characters long; the limit is 10,000"):
        compile_pattern("a" * (MAX_PATTERN_SIZE + 1))


@pytest.mark.parametrize(
    ("pattern", "size"),
    [
        (r"(?P<value>\d{1,3}) day (?:ban|pause)", 3 + 5 + 3 + 5),
        (r"(?:ab){3}", 6),
        (r"a{2,}b*c+", 4),
        (r"(?:a{0,1000}){0,10}", 10_000),
        (r"(?P<value>[A-Z][\w.&-]+(?: [A-Z][\w.&-]+)?)", 5),
        (r"\p{Lu}\w++(?>x{4})(?:abc){e<=1}", 1 + 1 + 4 + 3),
        (r"(a)(?(1)a{50}|b{60})(?<=q{5})", 1 + 110 + 5),
    ],
)
def test_pattern_size_counts_what_a_pattern_stands_for(pattern: str, size: int) -> None:
    # regex-only syntax (\p{}, possessive, atomic, fuzzy) is read by regex's own parser.
    assert pattern_size(pattern) == size
    compile_pattern(pattern)


@pytest.mark.parametrize("pattern", ["(", "a{2}{3}", "(" * 5000 + ")" * 5000])
def test_invalid_or_too_deeply_nested_patterns_are_regex_errors(pattern: str) -> None:
    with pytest.raises(regex.error):
        compile_pattern(pattern)
