"""Daily digests: a subscription's schedule, the items held for it, and the
digest produced once per subscription and day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, select, update

from bot.core.digest import Gathered
from bot.core.posts import PostKind, Reply
from bot.core.subscriptions import DigestSchedule
from bot.storage import tables as t
from bot.storage.base import Part
from bot.storage.records import encode_post

HELD, DIGESTED = "held", "digested"


class DigestRecords(Part):
    """Digest schedules, held items and produced digests."""

    async def set_digest(
        self, subscription_id: int, digest: DigestSchedule | None, now: datetime
    ) -> int:
        """Set (or with None, end) a subscription's digest. Turning it on starts
        gathering at ``now``; changing its time keeps what was gathered. Ending
        it drops the items held for it (they were matched, just not posted):
        returns how many."""
        async with self.engine.begin() as conn:
            subs = t.subscriptions
            current = await conn.scalar(
                select(subs.c.digest_at).where(subs.c.id == subscription_id)
            )
            if digest is None:
                await conn.execute(
                    update(subs)
                    .where(subs.c.id == subscription_id)
                    .values(digest_at=None, digest_tz=None, digest_since=None)
                )
                dropped = await conn.execute(
                    update(t.outbox)
                    .where(_held(subscription_id))
                    .values(status="skipped", last_error="digest turned off")
                )
                return int(dropped.rowcount or 0)
            values: dict[str, object] = {"digest_at": digest.at, "digest_tz": digest.tz}
            if current is None:
                values["digest_since"] = now
            await conn.execute(update(subs).where(subs.c.id == subscription_id).values(**values))
            return 0

    async def gathered(self, subscription_id: int) -> list[tuple[int, Gathered]]:
        """The items held for a subscription's next digest (outbox row id and
        item), each with the outlets that reported its story since."""
        o, i, m, s = t.outbox, t.items, t.matches, t.subscriptions
        stmt = (
            select(o.c.id.label("row_id"), i.c.id, i.c.title, i.c.url, i.c.source, i.c.published)
            .add_columns(m.c.score)
            .select_from(
                o.join(i, o.c.item_id == i.c.id)
                .join(s, o.c.subscription_id == s.c.id)
                .outerjoin(m, and_(m.c.item_id == i.c.id, m.c.storyline == s.c.storyline))
            )
            .where(_held(subscription_id))
            .order_by(o.c.id)
        )
        async with self.engine.connect() as conn:
            rows = list(await conn.execute(stmt))
            outlets: dict[int, list[str]] = defaultdict(list)
            ids = [r.id for r in rows]
            for start in range(0, len(ids), 500):
                repeats = await conn.execute(
                    select(i.c.story_of, i.c.source)
                    .where(i.c.story_of.in_(ids[start : start + 500]))
                    .order_by(i.c.published.desc(), i.c.id.desc())
                )
                for r in repeats:
                    outlets[r.story_of].append(r.source)
        return [
            (
                r.row_id,
                Gathered(
                    title=r.title,
                    url=r.url,
                    source=r.source,
                    score=float(r.score or 0.0),
                    published=r.published,
                    outlets=tuple(dict.fromkeys(outlets[r.id])),
                ),
            )
            for r in rows
        ]

    async def record_digest(
        self,
        subscription_id: int,
        day: date,
        until: datetime,
        reply: Reply | None,
        rows: Sequence[int],
        now: datetime,
    ) -> bool:
        """Record the digest of ``day`` in one transaction: queue ``reply`` (None:
        nothing to post), mark the held ``rows`` digested and start the next
        gathering at ``until``. False (and nothing written) when the digest of
        that day exists already: another instance, or an earlier run, made it."""
        async with self.engine.begin() as conn:
            claimed = await conn.execute(
                self._insert(t.digests)
                .values(
                    subscription_id=subscription_id,
                    day=day.isoformat(),
                    items=len(rows),
                    created_at=now,
                )
                .on_conflict_do_nothing()
                .returning(t.digests.c.day)
            )
            if claimed.one_or_none() is None:
                return False
            sub = (
                await conn.execute(
                    select(t.subscriptions.c.storyline).where(
                        t.subscriptions.c.id == subscription_id
                    )
                )
            ).one()
            if reply is not None:
                outbox_id = await conn.scalar(
                    t.outbox.insert()
                    .values(
                        subscription_id=subscription_id,
                        kind=PostKind.REPLY.value,
                        topic=f"digest:{day.isoformat()}",
                        payload=encode_post(PostKind.REPLY, sub.storyline, reply),
                        status="pending",
                        attempts=0,
                        created_at=now,
                    )
                    .returning(t.outbox.c.id)
                )
                await conn.execute(
                    update(t.digests)
                    .where(
                        t.digests.c.subscription_id == subscription_id,
                        t.digests.c.day == day.isoformat(),
                    )
                    .values(outbox_id=outbox_id)
                )
            for start in range(0, len(rows), 500):
                await conn.execute(
                    update(t.outbox)
                    .where(t.outbox.c.id.in_(rows[start : start + 500]), t.outbox.c.status == HELD)
                    .values(status=DIGESTED)
                )
            await conn.execute(
                update(t.subscriptions)
                .where(t.subscriptions.c.id == subscription_id)
                .values(digest_since=until)
            )
            return True


def _held(subscription_id: int) -> ColumnElement[bool]:
    return and_(
        t.outbox.c.subscription_id == subscription_id,
        t.outbox.c.kind == PostKind.DIGEST_ITEM.value,
        t.outbox.c.status == HELD,
    )
