"""h8: placeholder revision (schema changes of helper h8, if any)

Revision ID: f20a08000008
Revises: f20a07000007
Create Date: 2026-12-02 14:00:00

"""

# revision identifiers, used by Alembic.
revision = "f20a08000008"
down_revision = "f20a07000007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
