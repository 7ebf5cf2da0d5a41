"""h2: placeholder revision (schema changes of helper h2, if any)

Revision ID: e19a03000003
Revises: e19a02000002
Create Date: 2026-12-02 08:00:00

"""

# revision identifiers, used by Alembic.
revision = "e19a03000003"
down_revision = "e19a02000002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
