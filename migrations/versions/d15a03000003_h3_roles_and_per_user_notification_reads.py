"""h3 roles and per-user notification reads (placeholder: filled by its owner, removed if it stays empty)

Revision ID: d15a03000003
Revises: d15a02000002
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "d15a03000003"
down_revision = "d15a02000002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
