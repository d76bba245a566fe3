"""What an edit of a sent reply needs: the reply as sent, and the story's outlets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.posts import PostKind
from bot.storage import tables as t
from bot.storage.base import Part
from bot.storage.records import EditTarget, decode_reply

#: How far ``story_of`` links are followed (a repeat of a repeat of …).
MAX_STORY_HOPS = 8


class EditRecords(Part):
    """The targets of ``edit`` outbox rows."""

    async def edit_target(self, row_id: int) -> EditTarget | None:
        """For the ``edit`` row ``row_id`` (whose item repeats an earlier story):
        the coverage reply of that story's first item in the same thread, its
        status and message id, and every outlet that reported the story since,
        newest first. None when that thread never got such a reply (the item
        was capped, backlog, or the channel followed later)."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(t.outbox.c.item_id, t.outbox.c.subscription_id).where(
                        t.outbox.c.id == row_id
                    )
                )
            ).one_or_none()
            if row is None or row.item_id is None:
                return None
            first = await _story_root(conn, row.item_id)
            target = (
                await conn.execute(
                    select(t.outbox).where(
                        and_(
                            t.outbox.c.subscription_id == row.subscription_id,
                            t.outbox.c.item_id == first,
                            t.outbox.c.kind == PostKind.REPLY.value,
                            t.outbox.c.topic == "",
                        )
                    )
                )
            ).one_or_none()
            if target is None:
                return None
            reply = decode_reply(PostKind.REPLY, target.payload)
            if reply is None or reply.kind != "coverage":
                return None
            return EditTarget(
                row_id=target.id,
                status=target.status,
                message_id=target.message_id,
                reply=reply,
                outlets=tuple(await _outlets(conn, first)),
            )


async def _story_root(conn: AsyncConnection, item_id: int) -> int:
    """The first item of ``item_id``'s story (following ``story_of``)."""
    current = item_id
    for _ in range(MAX_STORY_HOPS):
        parent = await conn.scalar(select(t.items.c.story_of).where(t.items.c.id == current))
        if parent is None:
            break
        current = parent
    return current


async def _outlets(conn: AsyncConnection, first: int) -> list[str]:
    """The outlets of every later item of the story ``first`` began, newest first."""
    found: list[tuple[datetime, int, str]] = []
    frontier = [first]
    seen = {first}
    for _ in range(MAX_STORY_HOPS):
        rows = await conn.execute(
            select(t.items.c.id, t.items.c.source, t.items.c.published).where(
                t.items.c.story_of.in_(frontier)
            )
        )
        frontier = []
        for r in rows:
            if r.id not in seen:
                seen.add(r.id)
                frontier.append(r.id)
                found.append((r.published, r.id, r.source))
        if not frontier:
            break
    found.sort(key=lambda f: (f[0], f[1]), reverse=True)
    return list(dict.fromkeys(source for _, _, source in found))
