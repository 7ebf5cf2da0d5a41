"""h7: placeholder revision (schema changes of helper h7, if any)

Revision ID: d24a07000007
Revises: d16a06000006
Create Date: 2026-12-02 04:00:00

"""

# revision identifiers, used by Alembic.
revision = "d24a07000007"
down_revision = "d16a06000006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
