"""h8: placeholder revision (schema changes of helper h8, if any)

Revision ID: e19a09000009
Revises: e19a08000008
Create Date: 2026-12-02 08:00:00

"""

# revision identifiers, used by Alembic.
revision = "e19a09000009"
down_revision = "e19a08000008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
