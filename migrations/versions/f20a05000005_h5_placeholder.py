"""h5: AI run log keeps the intent classifier's usage (tokens, cost)

Revision ID: f20a05000005
Revises: f20a04000004
Create Date: 2026-12-02 14:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "f20a05000005"
down_revision = "f20a04000004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ai_reply_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "intent_usage",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("ai_reply_runs", schema=None) as batch_op:
        batch_op.drop_column("intent_usage")
