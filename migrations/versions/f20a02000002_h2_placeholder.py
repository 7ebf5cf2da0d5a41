"""h2: placeholder revision (schema changes of helper h2, if any)

Revision ID: f20a02000002
Revises: f20a01000001
Create Date: 2026-12-02 14:00:00

"""

# revision identifiers, used by Alembic.
revision = "f20a02000002"
down_revision = "f20a01000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
