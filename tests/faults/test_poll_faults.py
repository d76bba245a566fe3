"""Fetch faults as the poll loop handles them: the real app (``bot.app.build``)
with a clock the test moves, polling feeds served on 127.0.0.1. What is
asserted is what an admin sees: when a feed is polled next, its failure count,
its status and error in ``feeds list``, the URL it is polled at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from sqlalchemy import func, select

from bot.service.commands import format_feeds
from bot.storage import tables as t
from tests.conftest import REPO
from tests.faults.conftest import Rig, feeds_json, minutes
from tests.support.cli import threadline
from tests.support.feedserver import FeedServer, atom, rss
from tests.support.hostile import AtOnce, drip, silent
from tests.support.store_rows import item_count


def items(prefix: str, count: int) -> list[dict[str, str]]:
    return [
        {"guid": f"{prefix}-{i}", "title": f"{prefix} story {i}", "link": f"https://n.example/{i}"}
        for i in range(count)
    ]


async def stored_items(rig: Rig, path: str) -> int:
    """How many items of the feed named ``path`` are in the database."""
    feed = await rig.feed(path)
    async with rig.threadline.store.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(t.items).where(t.items.c.feed_id == feed.id)
        )
    return int(count or 0)


async def test_failures_back_off_doubling_from_5_minutes_then_disable_the_feed(
    rig: Rig, feed_server: FeedServer, env: dict[str, str]
) -> None:
    feed_server.set("/broken.xml", b"internal error", status=500)
    feed_server.set("/gone.xml", b"", status=410)
    await rig.start(["/broken.xml", "/gone.xml"])

    waits = []
    for n in range(1, 11):
        feed = await rig.poll_when_due("/broken.xml")
        assert (feed.failures, feed.status, feed.enabled) == (n, "failing", True)
        assert feed.error_code == "http_500" and feed.last_error == "HTTP 500 Internal Server Error"
        assert feed.next_poll_at is not None and feed.last_polled_at is not None
        waits.append(minutes(feed.next_poll_at - feed.last_polled_at))
        # A minute before it is due again, a cycle leaves it alone.
        hits = feed_server.hits["/broken.xml"]
        rig.clock.set(feed.next_poll_at - timedelta(minutes=1))
        await rig.poll_due()
        assert feed_server.hits["/broken.xml"] == hits
    assert waits == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 1440]  # 5 min × 2ⁿ, capped at a day

    feed = await rig.poll_when_due("/broken.xml")
    assert (feed.failures, feed.enabled, feed.status) == (11, False, "disabled")
    assert feed.error_code == "too_many_failures"
    assert feed.last_error is not None and "11 failures" in feed.last_error
    assert "HTTP 500" in feed.last_error

    gone = await rig.feed("/gone.xml")
    assert (gone.enabled, gone.status, gone.error_code) == (False, "disabled", "gone")
    assert feed_server.hits["/gone.xml"] == 1

    # Disabled feeds are never polled again, however much time passes.
    hits = sum(feed_server.hits.values())
    rig.clock.set(rig.clock.now() + timedelta(days=30))
    await rig.poll_due()
    assert sum(feed_server.hits.values()) == hits

    listing = format_feeds(await rig.threadline.store.feeds())
    assert "disabled (too_many_failures)" in listing and "disabled (gone)" in listing
    common = [
        "--database",
        rig.database_url,
        "--feeds",
        str(rig.feeds_file),
        "--storylines",
        str(REPO / "storylines"),
    ]
    await rig.close()
    code, out, err = await threadline("feeds", "list", *common, env=env)
    assert code == 0, err
    assert "disabled (too_many_failures)" in out and "disabled (gone)" in out
    assert "11 in a row" in out
    rows = await feeds_json(common, env)
    assert rows["/broken.xml"]["status"] == "disabled"
    assert rows["/broken.xml"]["error_code"] == "too_many_failures"
    assert rows["/broken.xml"]["failures"] == 11
    assert "HTTP 500" in rows["/broken.xml"]["last_error"]
    assert rows["/broken.xml"]["url"] == feed_server.url("/broken.xml")
    assert rows["/gone.xml"]["status"] == "disabled"
    assert rows["/gone.xml"]["error_code"] == "gone"
    assert "410" in rows["/gone.xml"]["last_error"]


async def test_one_success_resets_the_failure_count(rig: Rig, feed_server: FeedServer) -> None:
    feed_server.set("/flaky.xml", b"busy", status=503)
    await rig.start(["/flaky.xml"])
    for n in (1, 2, 3):
        feed = await rig.poll_when_due("/flaky.xml")
        assert feed.failures == n
    assert rig.minutes_until_due(feed) == 20

    feed_server.set("/flaky.xml", rss(items("flaky", 3)))
    feed = await rig.poll_when_due("/flaky.xml")
    assert (feed.failures, feed.status, feed.last_error, feed.error_code) == (0, "ok", None, None)
    assert rig.minutes_until_due(feed) == 1  # its own interval again
    assert await stored_items(rig, "/flaky.xml") == 3

    feed_server.set("/flaky.xml", b"broken", status=502)
    feed = await rig.poll_when_due("/flaky.xml")
    assert feed.failures == 1 and feed.error_code == "http_502"
    assert rig.minutes_until_due(feed) == 5  # the backoff starts over


async def test_retry_after_in_seconds_or_as_a_date_pushes_the_next_poll_capped(
    rig: Rig, feed_server: FeedServer
) -> None:
    # The HTTP-date is measured from the response's Date header (real time).
    soon = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    far = format_datetime(datetime.now(UTC) + timedelta(days=30), usegmt=True)
    feed_server.set("/seconds.xml", b"slow down", status=429, headers={"Retry-After": "3600"})
    feed_server.set("/date.xml", b"", status=503, headers={"Retry-After": soon})
    feed_server.set("/huge.xml", b"", status=429, headers={"Retry-After": "99999999"})
    feed_server.set("/far.xml", b"", status=503, headers={"Retry-After": far})
    feed_server.set("/garbage.xml", b"", status=429, headers={"Retry-After": "soon-ish"})
    paths = ["/seconds.xml", "/date.xml", "/huge.xml", "/far.xml", "/garbage.xml"]
    await rig.start(paths)
    await rig.poll_due()
    now = rig.clock.now()

    def wait(feed_next: datetime | None) -> float:
        assert feed_next is not None
        return minutes(feed_next - now)

    seconds = await rig.feed("/seconds.xml")
    assert wait(seconds.next_poll_at) == 60
    assert seconds.error_code == "rate_limited" and "retry after 3600 s" in str(seconds.last_error)
    date = await rig.feed("/date.xml")
    assert abs(wait(date.next_poll_at) - 120) < 0.1
    assert date.error_code == "http_503"
    assert wait((await rig.feed("/huge.xml")).next_poll_at) == 360  # capped at six hours
    assert wait((await rig.feed("/far.xml")).next_poll_at) == 360
    assert wait((await rig.feed("/garbage.xml")).next_poll_at) == 5  # the ordinary backoff

    # Not polled before the time the server asked for.
    rig.clock.set(now + timedelta(minutes=59))
    await rig.poll_due()
    assert feed_server.hits["/seconds.xml"] == 1
    rig.clock.set(now + timedelta(minutes=60))
    await rig.poll_due()
    assert feed_server.hits["/seconds.xml"] == 2
    assert feed_server.hits["/date.xml"] == 1


async def test_permanent_redirects_are_adopted_after_three_sightings_temporary_never(
    rig: Rig, feed_server: FeedServer
) -> None:
    port = feed_server.port
    for path in ("/moved-new.xml", "/p308-new.xml", "/t302-new.xml", "/t307-new.xml"):
        feed_server.set(path, rss(items(path.strip("/").split(".")[0], 2)))
    feed_server.set("/chain-end.xml", rss(items("chain-end", 2)))
    feed_server.set("/flap-new.xml", rss(items("flap-new", 2)))
    feed_server.redirect("/moved.xml", "/moved-new.xml", status=301)
    feed_server.redirect("/p308.xml", "/p308-new.xml", status=308)
    feed_server.redirect("/t302.xml", "/t302-new.xml", status=302)
    feed_server.redirect("/t307.xml", "/t307-new.xml", status=307)
    feed_server.redirect("/chain.xml", "/chain-mid.xml", status=301)
    feed_server.redirect("/chain-mid.xml", "/chain-end.xml", status=302)
    feed_server.redirect("/flap.xml", "/flap-new.xml", status=301)
    # A permanent redirect to a target the guard refuses even with private feeds allowed.
    feed_server.redirect("/to-bad.xml", f"http://2130706433:{port}/x.xml", status=301)
    feeds = ["/moved.xml", "/p308.xml", "/t302.xml", "/t307.xml", "/chain.xml", "/flap.xml"]
    await rig.start([*feeds, "/to-bad.xml"])

    async def cycle() -> None:
        # Two days apart: every feed is due, even one backing off at the cap.
        rig.clock.set(rig.clock.now() + timedelta(days=2))
        await rig.poll_due()

    await cycle()
    await cycle()
    for path in feeds:
        feed = await rig.feed(path)
        assert feed.url == feed_server.url(path), "adopted after two sightings"
        assert feed.status == "ok"
    assert (await rig.feed("/moved.xml")).redirect_count == 2
    feed_server.set("/flap.xml", rss(items("flap-new", 2)))  # the old URL answers again

    await cycle()
    assert (await rig.feed("/moved.xml")).url == feed_server.url("/moved-new.xml")
    assert (await rig.feed("/p308.xml")).url == feed_server.url("/p308-new.xml")
    moved_hits = feed_server.hits["/moved.xml"]
    feed_server.redirect("/flap.xml", "/flap-new.xml", status=301)

    await cycle()
    await cycle()
    assert feed_server.hits["/moved.xml"] == moved_hits  # polled at its new URL only
    assert feed_server.hits["/moved-new.xml"] == 5
    for path in ("/t302.xml", "/t307.xml", "/chain.xml", "/flap.xml"):
        feed = await rig.feed(path)
        assert feed.url == feed_server.url(path), path
        assert feed.status == "ok"
    bad = await rig.feed("/to-bad.xml")
    assert bad.url == feed_server.url("/to-bad.xml")
    assert (bad.failures, bad.error_code) == (5, "unsafe_url")
    assert "unusual spelling of 127.0.0.1" in str(bad.last_error)
    # Items came through every kind of redirect, once each.
    assert await item_count(rig.threadline.store) == 2 * 6


async def test_two_feeds_redirected_to_one_url_do_not_break_the_cycle(
    rig: Rig, feed_server: FeedServer
) -> None:
    feed_server.set("/merged.xml", rss(items("merged", 2)))
    feed_server.redirect("/a.xml", "/merged.xml", status=301)
    feed_server.redirect("/b.xml", "/merged.xml", status=301)
    feed_server.set("/ordinary.xml", rss(items("ordinary", 1)))
    await rig.start(["/a.xml", "/b.xml", "/ordinary.xml"])
    for n in range(2, 6):
        rig.clock.set(rig.clock.now() + timedelta(minutes=2))
        feed_server.set("/ordinary.xml", rss(items("ordinary", n)))
        await rig.poll_due()
    # The ordinary feed's items of every cycle were stored.
    assert await stored_items(rig, "/ordinary.xml") == 5
    urls = [(await rig.feed(p)).url for p in ("/a.xml", "/b.xml")]
    assert len(set(urls)) == 2  # never two feeds with one URL
    assert feed_server.url("/merged.xml") in urls  # one of them moved


async def test_silent_and_dripping_servers_end_on_the_deadline_while_the_others_are_processed(
    rig: Rig, feed_server: FeedServer
) -> None:
    bad = ["/silent.xml", "/drip.xml", "/silent2.xml", "/drip2.xml"]
    at_once = AtOnce()
    for path, handler in zip(bad, (silent, drip, silent, drip), strict=True):
        feed_server.handle(path, at_once.counted(handler))
    ordinary = ["/one.xml", "/two.xml", "/three.xml"]
    feed_server.set("/one.xml", rss(items("one", 4)))
    feed_server.set("/two.xml", atom(items("two", 3)), content_type="application/atom+xml")
    feed_server.set("/three.xml", rss(items("three", 5)))
    await rig.start([bad[0], *ordinary, *bad[1:]], fetch_timeout=1.0)

    report = await rig.poll_due()

    # One deadline, not the sum of the four bad feeds' deadlines: all four were
    # waited on at the same time, and each was asked for once.
    assert (at_once.most, at_once.served) == (4, 4)
    assert report.feeds == 7 and len(report.errors) == 4
    for path in bad:
        feed = await rig.feed(path)
        assert (feed.status, feed.error_code, feed.failures) == ("failing", "timeout", 1)
        assert feed.last_error == "no complete answer within 1 s"
    for path, count in zip(ordinary, (4, 3, 5), strict=True):
        feed = await rig.feed(path)
        assert (feed.status, feed.failures, feed.last_error) == ("ok", 0, None)
        assert await stored_items(rig, path) == count
