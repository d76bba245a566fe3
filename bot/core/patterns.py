"""Storyline ``patterns`` (the regular expressions of integer and text facts),
compiled with the ``regex`` engine and searched under a time limit.

A storyline file is written by people, not by us, and feed text is written by
anyone: a pattern with nested quantifiers such as ``(a|aa)+b`` backtracks
exponentially on a long run of ``a``. Python's ``re`` has no way to stop such a
search, so a single item would hang the poll cycle (and, never committed, every
later one). ``regex`` recognises the simplest nested repeats and searches them in
linear time, and for the rest honours a ``timeout``: a search that runs past it
raises :class:`PatternTimeout`, which the decider turns into "this pattern is
skipped for this item" (see ``bot.core.decide``).

Compiling is bounded too. ``regex`` writes a counted repeat out in memory
(``a{1000}`` costs about as much as a thousand ``a``), so nested counts multiply:
``(?:a{1000}){1000}`` takes 380 MB and one more level takes the machine. Before
anything is compiled, :func:`pattern_size` reads the pattern with ``regex``'s own
parser (the same syntax, no compiling) and counts what it stands for once its
repeats are written out; :func:`compile_pattern` refuses a pattern over
:data:`MAX_PATTERN_SIZE` with :class:`PatternTooLarge`.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

import regex

# regex's own parser (the syntax regex.compile reads), which its type stubs leave out.
_regex_core: Any = importlib.import_module("regex._regex_core")

#: What one pattern may stand for once its counted repeats are written out
#: (``(?:ab){3}`` counts 6; ``{m,n}`` counts n, ``{m,}`` counts m), and its
#: length in characters: about 3 MB compiled. Real patterns count a few dozen.
MAX_PATTERN_SIZE = 10_000

#: Seconds one search of one pattern over one clause may take. Real patterns
#: take microseconds; a tenth of a second is far beyond any honest match.
PATTERN_TIMEOUT = 0.1


class PatternTimeout(Exception):
    """A storyline pattern ran past its time limit on one text: a signal the
    decider catches, never an error shown to users."""

    def __init__(self, pattern: str, timeout: float) -> None:
        super().__init__(f"pattern {pattern!r} ran longer than {timeout:g} s")
        self.pattern = pattern
        self.timeout = timeout


class PatternTooLarge(ValueError):
    """A pattern is longer than :data:`MAX_PATTERN_SIZE` characters, or stands
    for more once its repeats are written out. The message says which."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(reason)
        self.pattern = pattern


def pattern_size(pattern: str, *, limit: int = MAX_PATTERN_SIZE) -> int:
    """How many characters ``pattern`` stands for once its counted repeats are
    written out (each character, set, class or anchor counts 1; a repeat
    multiplies its body by its upper count, or its lower count when it has no
    upper one). Counting stops past ``limit`` and returns ``limit + 1``, so a
    pattern of 10^30 costs no more to refuse than one of 10^4.

    Raises ``regex.error`` when the pattern is invalid (and for nesting too
    deep to parse)."""
    tree = _parse(pattern)
    size = 0
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        node, times = stack.pop()
        if isinstance(node, _regex_core.GreedyRepeat):  # lazy and possessive too
            upper = node.max_count if node.max_count is not None else node.min_count
            stack.append((node.subpattern, times * max(1, upper)))
            continue
        children = [] if isinstance(node, _regex_core.SetBase) else _children(node)
        if not children:
            size += times
            if size > limit:
                return limit + 1
        stack.extend((child, times) for child in children)
    return size


def check_pattern(pattern: str, *, limit: int = MAX_PATTERN_SIZE) -> int:
    """The size of ``pattern`` (:func:`pattern_size`). Raises
    :class:`PatternTooLarge` when it is longer than ``limit`` characters (the
    parser reads about 250 KB a second) or stands for more than ``limit``, and
    ``regex.error`` when it is invalid."""
    if len(pattern) > limit:
        raise PatternTooLarge(
            pattern, f"the pattern is {len(pattern):,} characters long; the limit is {limit:,}"
        )
    size = pattern_size(pattern, limit=limit)
    if size > limit:
        raise PatternTooLarge(
            pattern,
            f"the pattern repeats too much: written out it stands for more than {limit:,} "
            "characters (the limit); lower the counts in {…}",
        )
    return size


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """The pattern compiled case-insensitively; raises ``regex.error`` when
    invalid and :class:`PatternTooLarge` before compiling one too large."""
    check_pattern(pattern)
    return regex.compile(pattern, regex.IGNORECASE)


def _parse(pattern: str) -> Any:
    """``pattern`` parsed as ``regex.compile(pattern, IGNORECASE)`` parses it,
    without compiling (``regex._main._compile``, up to the parse)."""
    flags = regex.IGNORECASE
    try:
        while True:
            source = _regex_core.Source(pattern)
            info = _regex_core.Info(flags, source.char_type, {})
            info.guess_encoding = _regex_core.UNICODE
            source.ignore_space = bool(info.flags & _regex_core.VERBOSE)
            source.use_unicode_space(bool(info.flags & _regex_core.VERSION1))
            try:
                tree = _regex_core._parse_pattern(source, info)
            except _regex_core._UnscopedFlagSet:
                flags = info.global_flags  # a global flag met late: parse again with it
                continue
            break
    except RecursionError:
        raise regex.error("groups are nested too deeply", pattern) from None
    if not source.at_end():
        raise regex.error("unbalanced parenthesis", pattern, source.pos)
    return tree


def _children(node: Any) -> list[Any]:
    """The parsed sub-patterns ``node`` holds (a sequence's items, a group's body,
    a branch's alternatives, a conditional's two arms …)."""
    found = []
    for value in vars(node).values():
        if isinstance(value, _regex_core.RegexBase):
            found.append(value)
        elif isinstance(value, list | tuple):
            found.extend(v for v in value if isinstance(v, _regex_core.RegexBase))
    return found


def search(pattern: str, text: str, *, timeout: float = PATTERN_TIMEOUT) -> regex.Match[str] | None:
    """The first match of ``pattern`` in ``text``; raises :class:`PatternTimeout`
    when the search takes longer than ``timeout`` seconds."""
    try:
        return compile_pattern(pattern).search(text, timeout=timeout)
    except TimeoutError as exc:
        raise PatternTimeout(pattern, timeout) from exc
