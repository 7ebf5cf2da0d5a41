"""h3: placeholder revision (schema changes of helper h3, if any)

Revision ID: d16a03000003
Revises: d16a02000002
Create Date: 2026-12-02 04:00:00

"""

# revision identifiers, used by Alembic.
revision = "d16a03000003"
down_revision = "d16a02000002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
