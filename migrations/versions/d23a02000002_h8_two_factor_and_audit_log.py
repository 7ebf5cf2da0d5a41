"""h8 two factor and audit log (placeholder: filled by its owner, removed if it stays empty)

Revision ID: d23a02000002
Revises: d23a01000001
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "d23a02000002"
down_revision = "d23a01000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
