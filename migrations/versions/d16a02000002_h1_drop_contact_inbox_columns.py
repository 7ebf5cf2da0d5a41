"""Drop the contact's old inbox columns: the inbox state lives on conversations

Since d16a01000001 every contact's inbox state (status, assignee, unread count, last
message, 24 h window, AI pause) is on its conversations, one per number, and nothing
reads the copies on ``contacts`` any more. Downgrade puts the columns back and fills
them from each contact's most recent conversation.

Revision ID: d16a02000002
Revises: d16a01000001
Create Date: 2026-12-02 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d16a02000002"
down_revision = "d16a01000001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
COPIED = (
    "conversation_status",
    "unread_count",
    "assigned_user_id",
    "last_message_at",
    "last_message_preview",
    "last_inbound_at",
    "ai_paused",
)


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_client_last_message")
        batch_op.drop_constraint("fk_contacts_assigned_user_id_users", type_="foreignkey")
        for column in COPIED:
            batch_op.drop_column(column)


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_inbound_at", TS, nullable=True))
        batch_op.add_column(
            sa.Column("ai_paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("last_message_at", TS, nullable=True))
        batch_op.add_column(sa.Column("last_message_preview", sa.String(200), nullable=True))
        batch_op.add_column(
            sa.Column("unread_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("assigned_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("conversation_status", sa.String(12), nullable=False, server_default="OPEN")
        )
        batch_op.create_foreign_key(
            "fk_contacts_assigned_user_id_users",
            "users",
            ["assigned_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_contacts_client_last_message", ["client_id", "last_message_at"], unique=False
        )
    # Each contact takes the state of its most recently active conversation.
    latest = (
        "(SELECT cv.{source} FROM conversations cv WHERE cv.contact_id = contacts.id "
        "ORDER BY cv.last_message_at IS NULL, cv.last_message_at DESC, cv.id DESC LIMIT 1)"
    )
    sources = {column: column for column in COPIED} | {"conversation_status": "status"}
    assignments = ", ".join(
        f"{column} = {latest.format(source=source)}"
        for column, source in sources.items()
        if column not in ("unread_count", "ai_paused", "conversation_status")
    )
    op.execute(
        sa.text(
            f"UPDATE contacts SET {assignments}, "  # noqa: S608 - fixed column names
            f"unread_count = COALESCE({latest.format(source='unread_count')}, 0), "
            f"ai_paused = COALESCE({latest.format(source='ai_paused')}, false), "
            f"conversation_status = COALESCE({latest.format(source='status')}, 'OPEN') "
            "WHERE EXISTS (SELECT 1 FROM conversations cv WHERE cv.contact_id = contacts.id)"
        )
    )
