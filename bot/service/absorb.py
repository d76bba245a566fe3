"""Later outlets absorbed: an ``edit`` outbox row adds "also reported by …" to a
coverage reply already sent, never a new post.

The row only names the repeat that caused it; what it sends is rendered at
send time from the reply as it was sent and every outlet of its story stored
by then (newest first), so sending it twice, or two such rows, gives the same
message. An edit for a reply not sent yet waits for it; one for a reply that
was never sent (capped, failed) or was deleted in chat is dropped with a log
line, and the subscription goes on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.posts import MessageRef
from bot.core.render import with_outlets
from bot.errors import MessageGone, ThreadGone
from bot.ports import ChatPlatform
from bot.storage.audit_log import AuditLog
from bot.storage.records import EditTarget, OutboxRow

log = logging.getLogger(__name__)

#: How long an edit waits before looking again for its reply to be sent.
WAIT_FOR_REPLY = timedelta(seconds=30)


class EditStore(Protocol):
    """What sending an edit needs of the Store."""

    async def edit_target(self, row_id: int) -> EditTarget | None: ...

    async def mark_sending(self, row_id: int) -> None: ...

    async def mark_sent(self, row_id: int, message_id: str | None, now: datetime) -> None: ...

    async def mark_retry(
        self, row_id: int, error: str, at: datetime, *, answered: bool | None = True
    ) -> None: ...

    async def mark_failed(self, row_id: int, error: str, status: str = "failed") -> None: ...


async def edit_sent_reply(
    store: EditStore,
    platform: ChatPlatform,
    row: OutboxRow,
    root: MessageRef | None,
    now: datetime,
    audit: AuditLog,
) -> None:
    """Send the ``edit`` row ``row`` (see the module docstring). Raises the
    platform's ``DeliveryError`` (other than a gone message) for the caller's
    retry policy."""
    sub = row.subscription
    target = await store.edit_target(row.id)
    if target is None or target.status in ("failed", "skipped"):
        await store.mark_failed(row.id, "no sent reply to edit", status="skipped")
        return
    if target.status != "sent" or not target.message_id:
        # Not tried: waiting spends no attempt.
        await store.mark_retry(
            row.id, "waiting for its reply to be sent", now + WAIT_FOR_REPLY, answered=None
        )
        return
    reply = with_outlets(target.reply, target.outlets)
    await store.mark_sending(row.id)
    message = MessageRef(target.message_id, root.thread_id if root else sub.address.channel)
    try:
        await platform.edit_reply(
            sub.address.channel, message, reply, idempotency_key=f"tl-{target.row_id}"
        )
    except (MessageGone, ThreadGone) as exc:
        log.info(
            "not editing reply %s in %s (%s): it is gone (%s)",
            target.message_id,
            sub.address,
            sub.storyline,
            exc.message,
        )
        await store.mark_failed(row.id, f"{exc.code}: {exc.message}", status="skipped")
        return
    await store.mark_sent(row.id, target.message_id, now)
    audit.write(
        [
            {
                "event": "delivery.sent",
                "outbox": row.id,
                "kind": row.kind.value,
                "channel": str(sub.address),
                "storyline": sub.storyline,
                "edited": target.row_id,
                "also": list(reply.also),
            }
        ]
    )
