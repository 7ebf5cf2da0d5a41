"""h6: placeholder revision (schema changes of helper h6, if any)

Revision ID: f20a06000006
Revises: f20a05000005
Create Date: 2026-12-02 14:00:00

"""

# revision identifiers, used by Alembic.
revision = "f20a06000006"
down_revision = "f20a05000005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
