"""h7: placeholder revision (schema changes of helper h7, if any)

Revision ID: e19a08000008
Revises: e19a07000007
Create Date: 2026-12-02 08:00:00

"""

# revision identifiers, used by Alembic.
revision = "e19a08000008"
down_revision = "e19a07000007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
