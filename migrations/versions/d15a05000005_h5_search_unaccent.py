"""h5 search unaccent (placeholder: filled by its owner, removed if it stays empty)

Revision ID: d15a05000005
Revises: d15a03000003
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "d15a05000005"
down_revision = "d15a03000003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
