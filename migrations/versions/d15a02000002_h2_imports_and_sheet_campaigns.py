"""h2 imports and sheet campaigns: merged rows in the import report, per-recipient values

* ``contact_imports.merged``: rows whose number was already on an earlier row of the file.
* ``contact_import_rejections.kind`` (rejected | merged) and ``kept_line``.
* ``campaign_recipient_values``: a sheet campaign's row values per recipient (frozen).

Revision ID: d15a02000002
Revises: d15a01000001
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "d15a02000002"
down_revision = "d15a01000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_imports") as batch:
        batch.add_column(sa.Column("merged", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("contact_import_rejections") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="rejected")
        )
        batch.add_column(sa.Column("kept_line", sa.Integer(), nullable=True))
    op.create_table(
        "campaign_recipient_values",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_recipient_values_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_campaign_recipient_values_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "contact_id", name=op.f("pk_campaign_recipient_values")
        ),
    )
    op.create_index(
        op.f("ix_campaign_recipient_values_contact_id"),
        "campaign_recipient_values",
        ["contact_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_campaign_recipient_values_contact_id"), table_name="campaign_recipient_values"
    )
    op.drop_table("campaign_recipient_values")
    with op.batch_alter_table("contact_import_rejections") as batch:
        batch.drop_column("kept_line")
        batch.drop_column("kind")
    with op.batch_alter_table("contact_imports") as batch:
        batch.drop_column("merged")
