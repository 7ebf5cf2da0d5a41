"""Message media kept per client: one row per inbound media message

The file is fetched once from Meta and kept in the media store until the retention
period ends (status EXPIRED); audio gets a transcript.

Revision ID: d18a10000010
Revises: d24a09000009
Create Date: 2026-12-02 04:25:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "d18a10000010"
down_revision = "d24a09000009"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "message_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("mime", sa.String(length=120), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("storage_key", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("transcript_status", sa.String(length=10), nullable=True),
        sa.Column("transcript_error", sa.String(length=500), nullable=True),
        sa.Column("transcript_usage", _JSON, nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name="fk_message_media_client_id_clients",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_message_media_message_id_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_message_media"),
        sa.UniqueConstraint("message_id", name="uq_message_media_message_id"),
    )
    with op.batch_alter_table("message_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_media_client_id"), ["client_id"])
        batch_op.create_index("ix_message_media_status_expires", ["status", "expires_at"])
        batch_op.create_index("ix_message_media_storage_key", ["storage_key"])


def downgrade() -> None:
    with op.batch_alter_table("message_media", schema=None) as batch_op:
        batch_op.drop_index("ix_message_media_storage_key")
        batch_op.drop_index("ix_message_media_status_expires")
        batch_op.drop_index(batch_op.f("ix_message_media_client_id"))
    op.drop_table("message_media")
