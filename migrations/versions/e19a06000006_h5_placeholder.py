"""h5: placeholder revision (schema changes of helper h5, if any)

Revision ID: e19a06000006
Revises: e19a05000005
Create Date: 2026-12-02 08:00:00

"""

# revision identifiers, used by Alembic.
revision = "e19a06000006"
down_revision = "e19a05000005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
