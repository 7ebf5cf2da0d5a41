"""h4: placeholder revision (schema changes of helper h4, if any)

Revision ID: d16a04000004
Revises: d16a03000003
Create Date: 2026-12-02 04:00:00

"""

# revision identifiers, used by Alembic.
revision = "d16a04000004"
down_revision = "d16a03000003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
