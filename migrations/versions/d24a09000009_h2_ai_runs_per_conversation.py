"""AI reply runs per conversation: the claim chain is keyed by conversation

A contact who writes to two numbers has two conversations, each with its own AI
thread; the chain of runs (``after_message_id``) is therefore unique per conversation,
not per contact. Existing runs take the conversation of their trigger message.

Revision ID: d24a09000009
Revises: d24a08000008
Create Date: 2026-12-02 04:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d24a09000009"
down_revision = "d24a08000008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ai_reply_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_ai_reply_runs_conversation_id_conversations",
            "conversations",
            ["conversation_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_ai_reply_runs_conversation_id"), ["conversation_id"])
    op.execute(
        """
        UPDATE ai_reply_runs SET
            conversation_id = (SELECT m.conversation_id FROM messages m
                               WHERE m.id = ai_reply_runs.trigger_message_id)
        """
    )
    with op.batch_alter_table("ai_reply_runs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ai_reply_runs_contact_id_after_message_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_ai_reply_runs_conversation_id_after_message_id",
            ["conversation_id", "after_message_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("ai_reply_runs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ai_reply_runs_conversation_id_after_message_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_ai_reply_runs_contact_id_after_message_id", ["contact_id", "after_message_id"]
        )
        batch_op.drop_index(batch_op.f("ix_ai_reply_runs_conversation_id"))
        batch_op.drop_constraint("fk_ai_reply_runs_conversation_id_conversations", type_="foreignkey")
        batch_op.drop_column("conversation_id")
