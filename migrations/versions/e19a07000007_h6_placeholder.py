"""h6: placeholder revision (schema changes of helper h6, if any)

Revision ID: e19a07000007
Revises: e19a06000006
Create Date: 2026-12-02 08:00:00

"""

# revision identifiers, used by Alembic.
revision = "e19a07000007"
down_revision = "e19a06000006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
