"""``run --once`` polls every enabled feed, in turns, whatever their number: each
feed is fetched once, none left out past a claim limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.cli import threadline
from tests.support.console_app import console_app
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, serve_feeds

EMPTY_RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def serve(srv: FeedServer, count: int) -> list[tuple[str, str]]:
    for i in range(count):
        srv.set(f"/f{i}.xml", EMPTY_RSS)
    return [(srv.url(f"/f{i}.xml"), f"Feed {i}") for i in range(count)]


async def test_every_feed_is_polled_once_in_turns(tmp_path: Path) -> None:
    async with serve_feeds() as srv:
        feeds = write_feeds(tmp_path / "feeds.yaml", serve(srv, 23))
        async with console_app(tmp_path, feeds) as (app, _out):
            report = await app.poller.run_all(turn=5)  # five turns of five, one of three
        assert report.feeds == 23
        assert sorted(srv.hits.values()) == [1] * 23


@pytest.mark.slow
async def test_run_once_polls_all_of_1500_feeds(tmp_path: Path, env: dict[str, str]) -> None:
    async with serve_feeds() as srv:
        feeds = write_feeds(tmp_path / "feeds.yaml", serve(srv, 1500))
        code, _, err = await threadline(
            "run",
            "--once",
            "--feeds",
            str(feeds),
            "--storylines",
            str(REPO / "storylines"),
            "--database",
            f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
            env=env,
            timeout=300,
        )
        assert code == 0, err
        assert "polled 1500 feeds" in err
        assert len(srv.hits) == 1500 and set(srv.hits.values()) == {1}
