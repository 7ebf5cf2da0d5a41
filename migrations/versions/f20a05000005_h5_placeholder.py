"""h5: placeholder revision (schema changes of helper h5, if any)

Revision ID: f20a05000005
Revises: f20a04000004
Create Date: 2026-12-02 14:00:00

"""

# revision identifiers, used by Alembic.
revision = "f20a05000005"
down_revision = "f20a04000004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
