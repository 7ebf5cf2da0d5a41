"""h1: placeholder revision (schema changes of helper h1, if any)

Revision ID: e19a02000002
Revises: e19a01000001
Create Date: 2026-12-02 08:00:00

"""

# revision identifiers, used by Alembic.
revision = "e19a02000002"
down_revision = "e19a01000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
