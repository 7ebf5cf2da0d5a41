"""h4: placeholder revision (schema changes of helper h4, if any)

Revision ID: e19a05000005
Revises: e19a04000004
Create Date: 2026-12-02 08:00:00

"""

# revision identifiers, used by Alembic.
revision = "e19a05000005"
down_revision = "e19a04000004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
