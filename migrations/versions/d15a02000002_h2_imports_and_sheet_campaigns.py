"""h2 imports and sheet campaigns (placeholder: filled by its owner, removed if it stays empty)

Revision ID: d15a02000002
Revises: d15a01000001
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "d15a02000002"
down_revision = "d15a01000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
