"""A cycle of many feeds is written in batches: nothing is lost, and the facts end
as they would in one batch (they resolve by publication time, not batch order)."""

from __future__ import annotations

import io
from pathlib import Path

from bot.app import build
from bot.config.settings import load_settings
from bot.platforms.console import ConsolePlatform
from tests.conftest import REPO
from tests.support.clock import ago
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss
from tests.support.store_rows import item_count


async def test_batches_store_everything_and_decide_facts_as_one_batch(tmp_path: Path) -> None:
    srv = FeedServer()
    await srv.start()
    try:
        names = [f"f{i}" for i in range(5)]
        for i, name in enumerate(names):
            srv.set(
                f"/{name}.xml",
                rss(
                    [
                        {
                            "guid": f"{name}-{n}",
                            "link": f"https://{name}.example/{n}",
                            "title": f"Unrelated local news {name} number {n}",
                            "summary": "",
                            "published": ago(hours=i * 10 + n),
                        }
                        for n in range(3)
                    ]
                ),
            )
        # The newest state comes first (batch 1), an older contrary report last (batch 3).
        srv.set(
            "/f0.xml",
            rss(
                [
                    {
                        "guid": "new",
                        "link": "https://f0.example/restored",
                        "title": "Anthropic restores Claude Fable 5 for all customers worldwide",
                        "summary": "Fable 5 is available again after export controls were lifted.",
                        "published": ago(hours=1),
                    }
                ]
            ),
        )
        srv.set(
            "/f4.xml",
            rss(
                [
                    {
                        "guid": "old",
                        "link": "https://f4.example/suspended",
                        "title": "Anthropic disables Claude Fable 5 after export-control directive",
                        "summary": "Anthropic suspended access to Fable 5 for every customer.",
                        "published": ago(days=3),
                    }
                ]
            ),
        )
        feeds = write_feeds(
            tmp_path / "feeds.yaml", [(srv.url(f"/{n}.xml"), f"Outlet {n}") for n in names]
        )
        outcomes = []
        for batch in (2, 250):
            settings = load_settings(
                database_url=f"sqlite+aiosqlite:///{tmp_path / f'db{batch}.sqlite'}",
                feeds_file=feeds,
                storylines_dir=REPO / "storylines",
                allow_private_feeds=True,
            )
            app = await build(
                settings,
                platforms={"console": ConsolePlatform(io.StringIO())},
                use_seeded_history=False,
            )
            await app.start()
            try:
                app.poller.batch = batch
                report = await app.poller.run_due(all_feeds=True)
                assert report.feeds == 5 and not report.errors
                assert await item_count(app.store) == 1 + 3 * 3 + 1
                states = await app.store.fact_states()
                outcomes.append({k: (v.value, v.disputed) for k, v in states.items()})
            finally:
                await app.close()
        assert outcomes[0] == outcomes[1]
        assert outcomes[0][("fable-suspension", "access_status")][0] is not None
    finally:
        await srv.close()
