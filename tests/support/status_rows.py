"""A database in a state worth a status page: a healthy feed, a failing one, a
disabled one, and outbox rows waiting for different reasons."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.items import FeedSeed
from bot.core.subscriptions import ChannelAddress
from bot.storage.records import FeedUpdate
from bot.storage.store import Store

OK_URL = "https://ok.example/feed.xml"
FAILING_URL = "https://reader:SECRET@failing.example/rss"
GONE_URL = "https://gone.example/atom.xml"


async def seed_status(store: Store, now: datetime) -> None:
    ok, _ = await store.add_feed(FeedSeed(OK_URL, "Healthy News", 900), "file", now)
    failing, _ = await store.add_feed(FeedSeed(FAILING_URL, "Flaky Wire", 900), "file", now)
    gone, _ = await store.add_feed(FeedSeed(GONE_URL, "Old Blog", 900), "chat", now)
    hour = timedelta(hours=1)
    await store.record_feed_updates(
        [
            FeedUpdate(ok.id, "ok", now - hour, now + hour / 4, success=True),
            FeedUpdate(
                failing.id,
                "failing",
                now - hour / 2,
                now + hour,
                success=False,
                failures=3,
                error_code="http_error",
                last_error="HTTP 503 from failing.example",
            ),
            FeedUpdate(
                gone.id,
                "disabled",
                now - 2 * hour,
                now,
                success=False,
                failures=1,
                error_code="gone",
                last_error="HTTP 410 Gone",
                enabled=False,
            ),
        ]
    )
    # Two root cards to send: one due, one retrying after a failed send.
    await store.follow(ChannelAddress("slack", "C0123"), "dod-dispute", now - 3 * hour)
    await store.follow(ChannelAddress("slack", "C0456"), "fable-suspension", now - hour)
    [row] = await store.claim_outbox("w", now, timedelta(minutes=1), ["slack"], limit=1)
    await store.mark_retry(row.id, "ratelimited by slack", now + hour)
