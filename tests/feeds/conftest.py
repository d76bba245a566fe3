"""Fixtures for the feed ingest tests: a local feed server and fetchers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.feeds.fetch import HttpFetcher
from tests.support.feedserver import FeedServer, serve_feeds


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with serve_feeds() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[HttpFetcher]:
    """A fetcher allowed to reach 127.0.0.1 (the feed server), with a short deadline."""
    client = HttpFetcher(allow_private=True, timeout=2.0, max_bytes=1024 * 1024)
    yield client
    await client.close()
