"""BSUID columns hold Meta's longest documented form (CC.ENT. + 128 characters)

The first revision of this round sized them at 64 characters; Meta documents up to 128
characters after the country code (and "ENT." for a parent BSUID), so a valid BSUID
accepted by the API or an import could not be stored. Widened to 140.

Revision ID: d16a06000006
Revises: d16a05000005
Create Date: 2026-12-02 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d16a06000006"
down_revision = "d16a05000005"
branch_labels = None
depends_on = None

WIDE, NARROW = sa.String(length=140), sa.String(length=64)
COLUMNS = (
    ("contacts", ("bsuid", "parent_bsuid")),
    ("opt_outs", ("bsuid",)),
    ("contact_identities", ("value",)),
)


def _alter(old: sa.String, new: sa.String) -> None:
    for table, columns in COLUMNS:
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=old,
                    type_=new,
                    existing_nullable=column != "value",
                )


def upgrade() -> None:
    _alter(NARROW, WIDE)


def downgrade() -> None:
    _alter(WIDE, NARROW)
