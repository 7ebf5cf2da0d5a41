"""Message time-to-live of a template (templates.send_ttl_seconds, Meta's message_send_ttl_seconds)

Revision ID: d17a02000001
Revises: d23a02000002
Create Date: 2026-12-02 02:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d17a02000001"
down_revision = "d23a02000002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_ttl_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_column("send_ttl_seconds")
