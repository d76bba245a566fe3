"""date_was_replaced: items.date_was_replaced, set when the feed gave no usable
date and ``published`` is the time the item was first seen

Revision ID: 0008
Revises: outbox_unreachable
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "outbox_unreachable"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, as 0005: a batch copy of the items table would fire the
    # outbox's ON DELETE SET NULL and unlink every post from its item. Items
    # stored before this revision keep False: whether their date was replaced
    # was not recorded.
    op.add_column(
        "items",
        sa.Column("date_was_replaced", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("items", "date_was_replaced")
