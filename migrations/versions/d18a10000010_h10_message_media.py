"""h10: placeholder revision (message media store)

Revision ID: d18a10000010
Revises: d24a09000009
Create Date: 2026-12-02 04:25:00

"""

# revision identifiers, used by Alembic.
revision = "d18a10000010"
down_revision = "d24a09000009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
