"""webhook_events.signed_by, dropped and dead_at: per-app routing and dead letters

``signed_by`` names the Meta app whose secret signed the delivery ("platform" or the
fingerprint of a client's own app secret); only that app's numbers/WABAs are routed and
``dropped`` counts the other changes of the body. ``dead_at`` marks an event whose last
attempt failed (shown to the super admin, counted in /healthz).

Revision ID: e5f1a2b3c4d6
Revises: c4d5e6f7a8b9
Create Date: 2026-12-01 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f1a2b3c4d6'
down_revision = 'c4d5e6f7a8b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('dropped', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_webhook_events_dead_at'), ['dead_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_dead_at'))
        batch_op.drop_column('dead_at')
        batch_op.drop_column('dropped')
        batch_op.drop_column('signed_by')
