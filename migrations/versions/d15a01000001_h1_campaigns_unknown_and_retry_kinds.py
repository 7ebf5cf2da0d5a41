"""h1: campaign rows' dispatcher lease (messages.lease_until) and the retry ledger
(message_retries: one re-send per row and failure kind)

A SENDING row whose dispatcher died becomes UNKNOWN once its lease plus
CAMPAIGN_UNKNOWN_GRACE_S has passed (instead of 10 minutes after the claim); rows
claimed before this revision have no lease and fall back to claimed_at + the lease
length. Rows already retried (messages.retried_at) get a ledger entry for their current
error code, so an upgrade re-offers nothing that was already re-sent.

Revision ID: d15a01000001
Revises: f6a7b8c9d0e1
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d15a01000001"
down_revision = "f6a7b8c9d0e1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "message_retries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retried_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "kind", "round"),
    )
    op.execute(
        "INSERT INTO message_retries (message_id, kind, round, failed_at, retried_at) "
        "SELECT id, CASE WHEN status = 'UNKNOWN' OR error_code IS NULL THEN 'unknown' "
        "ELSE CAST(error_code AS VARCHAR(16)) END, 1, failed_at, retried_at "
        "FROM messages WHERE retried_at IS NOT NULL AND campaign_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("message_retries")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("lease_until")
