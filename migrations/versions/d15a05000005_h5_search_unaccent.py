"""h5: the unaccent extension for accent-insensitive search ("tenis" finds "tênis")

Contacts and inbox search compare ``lower(unaccent(column))``.
PostgreSQL only; SQLite gets a Python ``unaccent`` function on every connection, so
nothing changes in its schema.

Revision ID: d15a05000005
Revises: d15a03000003
Create Date: 2026-12-02 00:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "d15a05000005"
down_revision = "d15a03000003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP EXTENSION IF EXISTS unaccent")
