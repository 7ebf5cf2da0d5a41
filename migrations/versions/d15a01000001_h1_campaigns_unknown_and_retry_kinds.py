"""h1 campaigns unknown and retry kinds (placeholder: filled by its owner, removed if it stays empty)

Revision ID: d15a01000001
Revises: f6a7b8c9d0e1
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "d15a01000001"
down_revision = "f6a7b8c9d0e1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
