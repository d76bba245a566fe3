"""The per-thread cap counts over a whole cycle, however many batches it is
written in: ten replies and ONE summary, even when the flood spans batches and
the last batch brings nothing new."""

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


def flood(name: str, numbers: range) -> bytes:
    return rss(
        [
            {
                "guid": f"{name}-{i}",
                "link": f"https://{name}.example/fable/{i}",
                "title": f"Claude Fable 5 export directive: {name} customer report number {i}",
                "summary": f"Customer {i} describes life without Fable 5 under the directive.",
                "published": ago(minutes=10 * i + 1),
            }
            for i in numbers
        ]
    )


async def test_a_flood_over_several_batches_gets_one_summary(tmp_path: Path) -> None:
    srv = FeedServer()
    await srv.start()
    names = ["a", "b", "c"]  # c stays empty: the last batch brings nothing new
    for name in names:
        srv.set(f"/{name}.xml", rss([]))
    feeds = write_feeds(tmp_path / "feeds.yaml", [(srv.url(f"/{n}.xml"), n) for n in names])
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        feeds_file=feeds,
        storylines_dir=REPO / "storylines",
        allow_private_feeds=True,
        max_replies_per_thread=4,
    )
    out = io.StringIO()
    app = await build(settings, platforms={"console": ConsolePlatform(out)})
    await app.start()
    try:
        await app.poller.run_due(all_feeds=True)  # first poll: empty backlog
        await app.deliverer.drain()
        start = len(out.getvalue())
        srv.set("/a.xml", flood("a", range(6)))
        srv.set("/b.xml", flood("b", range(6, 13)))  # other reports: none is a duplicate
        app.poller.batch = 1  # one feed per transaction
        report = await app.poller.run_due(all_feeds=True)
        await app.deliverer.drain()
    finally:
        await app.close()
        await srv.close()
    assert report.new_items == 13
    replies = [
        line.strip()
        for line in out.getvalue()[start:].splitlines()
        if line.lstrip().startswith("↳ [fable-suspension]")
    ]
    assert sum("customer report number" in r for r in replies) == 4
    assert [r for r in replies if "more matched" in r] == [
        "↳ [fable-suspension] … and 9 more matched items: "
        "`threadline storylines show fable-suspension`"
    ]
