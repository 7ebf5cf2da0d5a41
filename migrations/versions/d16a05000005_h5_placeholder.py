"""h5: placeholder revision (schema changes of helper h5, if any)

Revision ID: d16a05000005
Revises: d16a04000004
Create Date: 2026-12-02 04:00:00

"""

# revision identifiers, used by Alembic.
revision = "d16a05000005"
down_revision = "d16a04000004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
