"""h6 costs pricing rate cards (placeholder: filled by its owner, removed if it stays empty)

Revision ID: d17a01000001
Revises: d15a05000005
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "d17a01000001"
down_revision = "d15a05000005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
