"""outbox.topic and a unique key per (item, subscription, kind, topic)

An item already stored never gets a second post, whatever processes overlap:
the database refuses the second row (inserts do nothing on conflict). ``topic``
tells apart the posts one item may rightly cause in one thread: its coverage
reply ('') and each fact change it announces. Rows without an item (root cards,
card edits) are not constrained. Duplicates left by overlapping runs before
this revision are removed first, keeping a sent row over a pending one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("item_id", sa.Integer),
    sa.column("subscription_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("topic", sa.String),
    sa.column("status", sa.String),
    sa.column("payload", sa.JSON),
)


def _legacy_topic(payload: Any) -> str:
    """Fact-change rows written before topics existed: told apart by their text."""
    if not isinstance(payload, dict) or payload.get("kind") != "fact_change":
        return ""
    text = f"{payload.get('title', '')}\n{payload.get('text', '')}"
    return "legacy:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("topic", sa.String(200), nullable=False, server_default=""))
    conn = op.get_bind()
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    rows = conn.execute(
        sa.select(
            _outbox.c.id,
            _outbox.c.item_id,
            _outbox.c.subscription_id,
            _outbox.c.kind,
            _outbox.c.status,
            _outbox.c.payload,
        )
        .where(_outbox.c.item_id.is_not(None))
        .order_by(_outbox.c.id)
    )
    for row in rows:
        topic = _legacy_topic(row.payload)
        if topic:
            conn.execute(sa.update(_outbox).where(_outbox.c.id == row.id).values(topic=topic))
        groups[(row.item_id, row.subscription_id, row.kind, topic)].append(row)
    doomed: list[int] = []
    for group in groups.values():
        if len(group) > 1:
            keep = next((r for r in group if r.status == "sent"), group[0])
            doomed.extend(r.id for r in group if r.id != keep.id)
    for start in range(0, len(doomed), 500):
        conn.execute(sa.delete(_outbox).where(_outbox.c.id.in_(doomed[start : start + 500])))
    with op.batch_alter_table("outbox") as batch:
        batch.create_index(
            "uq_outbox_item_target", ["item_id", "subscription_id", "kind", "topic"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("uq_outbox_item_target")
        batch.drop_column("topic")
