"""edits_digest: daily digests per subscription, and the digests produced

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("digest_at", sa.String(5), nullable=True))
        batch.add_column(sa.Column("digest_tz", sa.String(64), nullable=True))
        batch.add_column(sa.Column("digest_since", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "digests",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_digests_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_digests_outbox_id_outbox"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "day", name=op.f("pk_digests")),
    )


def downgrade() -> None:
    op.drop_table("digests")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("digest_since")
        batch.drop_column("digest_tz")
        batch.drop_column("digest_at")
