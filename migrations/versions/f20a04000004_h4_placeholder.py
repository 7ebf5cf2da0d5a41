"""h4: placeholder revision (schema changes of helper h4, if any)

Revision ID: f20a04000004
Revises: f20a03000003
Create Date: 2026-12-02 14:00:00

"""

# revision identifiers, used by Alembic.
revision = "f20a04000004"
down_revision = "f20a03000003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
