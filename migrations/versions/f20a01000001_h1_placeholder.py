"""h1: placeholder revision (schema changes of helper h1, if any)

Revision ID: f20a01000001
Revises: f20a00000000
Create Date: 2026-12-02 14:00:00

"""

# revision identifiers, used by Alembic.
revision = "f20a01000001"
down_revision = "f20a00000000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
