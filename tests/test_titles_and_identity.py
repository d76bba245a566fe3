"""Issue 16, part 7, through the poll cycle to chat (the console): a title-less
item reaches the thread with a headline made from its text and marked as made;
items that share a guid and have no link are each posted, a re-post is not."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Threadline
from bot.core.titles import MADE_TITLE_MARK, MADE_TITLE_NOTE
from tests.support.clock import ago
from tests.support.console_app import console_app
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, atom, rss

RULING = (
    "A federal judge on Thursday blocked the Pentagon's supply-chain risk designation "
    "of Anthropic, ruling that the department overstepped its authority."
)
MADE = "A federal judge on Thursday blocked the Pentagon's supply-chain risk designation of…"
BLOCKED = "Judge blocks Pentagon's supply-chain risk designation of Anthropic"
RESTORED = "Anthropic restores Claude Fable 5 access for approved partners"


def coverage(out: io.StringIO) -> list[str]:
    return [line for line in out.getvalue().splitlines() if "↳ [" in line and "] •" in line]


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    srv.set("/desk.xml", rss([]))
    srv.set("/desk.atom", atom([]))
    yield srv
    await srv.close()


@pytest.fixture
async def app(tmp_path: Path, server: FeedServer) -> AsyncIterator[tuple[Threadline, io.StringIO]]:
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        [(server.url("/desk.xml"), "Court desk"), (server.url("/desk.atom"), "Policy desk")],
    )
    async with console_app(tmp_path, feeds, use_seeded_history=False) as (threadline, out):
        await threadline.poller.run_due(all_feeds=True)  # first poll: empty backlog
        yield threadline, out


async def poll(threadline: Threadline) -> int:
    report = await threadline.poller.run_due(all_feeds=True)
    await threadline.deliverer.drain()
    return report.new_items


@pytest.mark.parametrize("document", [rss, atom], ids=["rss", "atom"])
async def test_a_title_less_item_is_posted_with_a_made_headline_marked_as_made(
    app: tuple[Threadline, io.StringIO], server: FeedServer, document: object
) -> None:
    threadline, out = app
    path = "/desk.xml" if document is rss else "/desk.atom"
    item = {"guid": "r1", "link": "https://court.example/r1", "summary": RULING}
    server.set(path, document([{**item, "published": ago(hours=2)}]))  # type: ignore[operator]
    assert await poll(threadline) == 1

    [line] = coverage(out)
    assert f"• {MADE_TITLE_MARK} {MADE} [{MADE_TITLE_NOTE}] —" in line
    [stored] = await threadline.store.recent_entries(ago(days=1).resolve())
    assert (stored.title, stored.title_made) == (MADE, True)  # the flag is stored with it


async def test_a_headline_the_feed_gave_is_not_marked(
    app: tuple[Threadline, io.StringIO], server: FeedServer
) -> None:
    threadline, out = app
    item = {"guid": "r2", "link": "https://court.example/r2", "title": BLOCKED, "summary": RULING}
    server.set("/desk.xml", rss([{**item, "published": ago(hours=2)}]))
    await poll(threadline)
    [line] = coverage(out)
    assert f"• {BLOCKED} —" in line and MADE_TITLE_NOTE not in line


def notice(title: str, summary: str, hours: float) -> dict[str, object]:
    # One guid for every item and no link, as some generators write them.
    return {"guid": "update", "title": title, "summary": summary, "published": ago(hours=hours)}


async def test_items_sharing_a_guid_and_no_link_are_each_posted_and_a_repost_once(
    app: tuple[Threadline, io.StringIO], server: FeedServer
) -> None:
    threadline, out = app
    blocked = notice(BLOCKED, "The court ruled on Thursday.", 3)
    restored = notice(RESTORED, "Access returns for vetted organisations.", 2)
    server.set("/desk.xml", rss([restored, blocked, blocked]))  # the last: a re-post
    assert await poll(threadline) == 2
    assert await poll(threadline) == 0  # the same document again: nothing new

    lines = coverage(out)
    assert len(lines) == 2
    assert any(BLOCKED in line for line in lines) and any(RESTORED in line for line in lines)


async def test_a_second_item_under_a_reused_guid_is_posted_and_the_first_is_not_again(
    app: tuple[Threadline, io.StringIO], server: FeedServer
) -> None:
    threadline, out = app
    blocked = notice(BLOCKED, "The court ruled on Thursday.", 3)
    server.set("/desk.xml", rss([blocked]))
    assert await poll(threadline) == 1
    restored = notice(RESTORED, "Access returns for vetted organisations.", 1)
    server.set("/desk.xml", rss([restored, blocked]))
    await poll(threadline)

    lines = coverage(out)
    assert [BLOCKED in line for line in lines] == [True, False]
    assert RESTORED in lines[1]
