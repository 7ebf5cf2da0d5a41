"""h7: report rollup tables (messages per client × local day, failures, job state)

Revision ID: f20a07000007
Revises: f20a06000006
Create Date: 2026-12-02 14:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f20a07000007"
down_revision = "f20a06000006"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_COUNTERS = (
    "msgs_in",
    "msgs_out",
    "out_ai",
    "out_agent",
    "sent",
    "delivered",
    "read",
    "failed",
    "replied",
    "opted_out",
    "charged",
    "free",
)


def upgrade() -> None:
    op.create_table(
        "report_message_days",
        sa.Column("id", _BIG, primary_key=True),
        sa.Column(
            "client_id",
            sa.Integer(),
            sa.ForeignKey("clients.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTERS),
        sa.Column("cost", sa.Numeric(16, 6), nullable=False),
        sa.Column("ai_cost", sa.Numeric(16, 8), nullable=False),
        sa.UniqueConstraint(
            "client_id",
            "day",
            "number_id",
            "campaign_id",
            "category",
            "currency",
            name="uq_report_message_days_key",
        ),
    )
    op.create_index("ix_report_message_days_client_id", "report_message_days", ["client_id"])
    op.create_table(
        "report_failure_days",
        sa.Column("id", _BIG, primary_key=True),
        sa.Column(
            "client_id",
            sa.Integer(),
            sa.ForeignKey("clients.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "client_id",
            "day",
            "number_id",
            "campaign_id",
            "error_code",
            name="uq_report_failure_days_key",
        ),
    )
    op.create_index("ix_report_failure_days_client_id", "report_failure_days", ["client_id"])
    op.create_table(
        "report_rollup_state",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("high_water", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_ms", sa.Integer(), nullable=False),
        sa.Column("last_days", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_rollup_state")
    op.drop_index("ix_report_failure_days_client_id", table_name="report_failure_days")
    op.drop_table("report_failure_days")
    op.drop_index("ix_report_message_days_client_id", table_name="report_message_days")
    op.drop_table("report_message_days")
