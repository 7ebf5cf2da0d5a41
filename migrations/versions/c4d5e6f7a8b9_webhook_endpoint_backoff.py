"""webhook_endpoints.failures and retry_at: per-endpoint backoff of outbound webhooks

A failing endpoint is tried by one delivery at a time after ``retry_at``; the others
wait instead of each retrying on the shared queue.

Revision ID: c4d5e6f7a8b9
Revises: b7e1c2d4a5f6
Create Date: 2026-12-01 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d5e6f7a8b9'
down_revision = 'b7e1c2d4a5f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('failures', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('retry_at')
        batch_op.drop_column('failures')
