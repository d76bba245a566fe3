"""Parsing in worker processes gives the same items as parsing in a thread, and a
worker that dies fails only the feed it was reading."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping

import pytest

from bot.core.items import ParsedFeed
from bot.errors import ParseError
from bot.feeds.feedparser_adapter import FeedparserParser
from bot.feeds.parse_pool import ParsePool, parse_keyed
from tests.support.feedserver import atom, rss

ITEMS = [
    {
        "guid": f"g{i}",
        "link": f"https://e.example/{i}",
        "title": f"Item {i} &amp; more",
        "summary": "<p>Hello <b>world</b></p>",
        "published": None,
    }
    for i in range(5)
]


class DyingParser:
    """Kills the worker process it runs in (as a crash in a C extension would)."""

    def parse(self, body: bytes, headers: Mapping[str, str] | None = None) -> ParsedFeed:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")


async def test_the_pool_parses_like_the_thread_and_survives_a_dead_worker() -> None:
    pool = ParsePool(2)
    parser = FeedparserParser()
    try:
        for body in (rss(ITEMS), atom(ITEMS)):
            assert await pool.parse_keyed(parser, body, {}) == parse_keyed(parser, body, {})
        with pytest.raises(ParseError, match="died"):
            await pool.parse_keyed(DyingParser(), rss(ITEMS), {})
        assert await pool.parse_keyed(parser, rss(ITEMS), {}) == parse_keyed(parser, rss(ITEMS), {})
        with pytest.raises(ParseError):
            await pool.parse_keyed(parser, b"<html><body>no feed</body></html>", {})
    finally:
        pool.close()
