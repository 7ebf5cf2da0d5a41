"""h1: placeholder revision (schema changes of helper h1, if any)

Revision ID: d16a02000002
Revises: d16a01000001
Create Date: 2026-12-02 04:00:00

"""

# revision identifiers, used by Alembic.
revision = "d16a02000002"
down_revision = "d16a01000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
