"""Regression over feedparser's own test corpus: every file goes through the
parser; only ParseError may come out, each file well under a second, with
bounded memory."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.feeds.feedparser_adapter import FeedparserParser

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "feeds").resolve()
FEEDPARSER_TESTS = CORPUS / "feedparser-tests"


@pytest.mark.slow
def test_the_feedparser_corpus_parses_without_surprises() -> None:
    if not FEEDPARSER_TESTS.is_dir():
        pytest.skip(f"corpus not present at {FEEDPARSER_TESTS} (a fresh clone lacks it)")
    parser = FeedparserParser()
    files = sorted(p for p in FEEDPARSER_TESTS.rglob("*") if p.is_file())
    assert len(files) > 1000
    parsed = refused = 0
    slowest = (0.0, "")
    peak = (0, "")
    started = time.perf_counter()
    for path in files:
        body = path.read_bytes()
        name = str(path.relative_to(FEEDPARSER_TESTS))
        began = time.perf_counter()
        try:
            feed = parser.parse(body)
        except ParseError:
            refused += 1
        else:
            parsed += 1
            assert all(isinstance(e.title, str) for e in feed.entries)
        slowest = max(slowest, (time.perf_counter() - began, name))
        # A second pass under tracemalloc (which slows parsing) for memory.
        tracemalloc.start()
        try:
            parser.parse(body)
        except ParseError:
            pass
        finally:
            peak = max(peak, (tracemalloc.get_traced_memory()[1], name))
            tracemalloc.stop()
    total = time.perf_counter() - started
    print(
        f"\ncorpus: {len(files)} files, {parsed} parsed, {refused} refused, "
        f"{total:.1f} s for both passes, slowest {slowest[0] * 1000:.0f} ms ({slowest[1]}), "
        f"peak traced memory {peak[0] / 2**20:.1f} MiB ({peak[1]})"
    )
    assert peak[0] < 64 * 2**20, peak
    assert refused < 20  # the corpus is feeds: only a handful are not
