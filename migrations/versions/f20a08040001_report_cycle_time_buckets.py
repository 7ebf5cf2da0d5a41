"""h1: report_cycle_time_buckets (histograms of the cycles' seconds for the percentiles)

Revision ID: f20a08040001
Revises: f20a08030001
Create Date: 2026-12-03 06:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f20a08040001"
down_revision = "f20a08030001"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "report_cycle_time_buckets",
        sa.Column("id", _BIG, primary_key=True),
        sa.Column(
            "client_id",
            sa.Integer(),
            sa.ForeignKey("clients.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("span", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_user_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column("cycles", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "client_id",
            "span",
            "day",
            "number_id",
            "team_id",
            "agent_user_id",
            "metric",
            "bucket",
            name="uq_report_cycle_time_buckets_key",
        ),
    )
    op.create_index(
        "ix_report_cycle_time_buckets_client_id", "report_cycle_time_buckets", ["client_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_report_cycle_time_buckets_client_id", table_name="report_cycle_time_buckets")
    op.drop_table("report_cycle_time_buckets")
