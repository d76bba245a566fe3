"""The real command service on the in-memory store, for platform tests that
follow a command from the wire to what is stored.

    async with command_service() as (commands, store, feeds):
        feeds.set("/feed.xml", rss([...], title="Example"))
        ...  # dispatch a Slack request or a Discord interaction to ``commands``
        [feed] = await store.feeds()
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from bot.config.storylines import load_storylines
from bot.core.storyline import Storyline
from bot.feeds.fetch import HttpFetcher
from bot.feeds.parse_fast import FastFeedParser
from bot.service.commands import CommandService
from bot.service.ledger import FactLedger
from bot.storage.audit_log import AuditLog
from tests.conftest import REPO
from tests.support.clock import FakeClock
from tests.support.feedserver import FeedServer
from tests.support.memory_store import MemoryStore


@asynccontextmanager
async def command_service(
    storylines: Sequence[Storyline] | None = None,
    *,
    audit_log: Path | None = None,
) -> AsyncIterator[tuple[CommandService, MemoryStore, FeedServer]]:
    """A ``CommandService`` over a ``MemoryStore`` with the repository's
    storylines (or ``storylines``), fetching from a local feed server, writing
    its audit events to ``audit_log`` when given."""
    store, clock = MemoryStore(), FakeClock()
    known = list(storylines) if storylines is not None else load_storylines(REPO / "storylines")
    server = FeedServer()
    await server.start()
    fetcher = HttpFetcher(allow_private=True)
    try:
        yield (
            CommandService(
                store=store,
                ledger=FactLedger(store, known, clock),
                storylines=known,
                fetcher=fetcher,
                parser=FastFeedParser(),
                clock=clock,
                default_interval=600,
                audit=AuditLog(audit_log),
            ),
            store,
            server,
        )
    finally:
        await fetcher.close()
        await server.close()
