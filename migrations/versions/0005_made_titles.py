"""made_titles: items.title_made, set when the feed gave no headline and one was made

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite allows it with a constant default), not a batch
    # copy of the table: dropping the old items table would fire the outbox's
    # ON DELETE SET NULL and unlink every post from its item.
    op.add_column(
        "items",
        sa.Column("title_made", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("items", "title_made")
