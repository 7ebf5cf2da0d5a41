"""messages.retried_at replaces the "[retry] " prefix on error_title

"Retry failed" re-queues a failed campaign row at most once. That state was kept as a
text prefix on ``error_title``; it is now a column. Rows whose title starts with the
mark get ``retried_at`` (their last update, the best time we have) and lose the prefix.

Revision ID: b7c1d2e3f4a5
Revises: a9a4857e3adc
Create Date: 2026-12-01 19:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c1d2e3f4a5'
down_revision = 'a9a4857e3adc'
branch_labels = None
depends_on = None

MARK = "[retry] "


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retried_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        sa.text(
            "UPDATE messages SET retried_at = COALESCE(updated_at, created_at), "
            "error_title = NULLIF(SUBSTR(error_title, :start), '') "
            "WHERE SUBSTR(error_title, 1, :length) = :mark"
        ).bindparams(start=len(MARK) + 1, length=len(MARK), mark=MARK)
    )


def downgrade():
    op.execute(
        sa.text(
            "UPDATE messages SET error_title = :mark || COALESCE(error_title, '') "
            "WHERE retried_at IS NOT NULL"
        ).bindparams(mark=MARK)
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('retried_at')
