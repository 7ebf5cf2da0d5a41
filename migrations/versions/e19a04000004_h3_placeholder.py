"""h3: placeholder revision (schema changes of helper h3, if any)

Revision ID: e19a04000004
Revises: e19a03000003
Create Date: 2026-12-02 08:00:00

"""

# revision identifiers, used by Alembic.
revision = "e19a04000004"
down_revision = "e19a03000003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
