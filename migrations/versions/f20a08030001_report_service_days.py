"""h3: report_service_days rollup; indexes for the report's percentiles and rollup scans

Revision ID: f20a08030001
Revises: f20a08000008
Create Date: 2026-12-02 17:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f20a08030001"
down_revision = "f20a08000008"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_COUNTERS = (
    "opened",
    "resolved",
    "ai_resolved",
    "ai_contained",
    "csat_asked",
    "csat_1",
    "csat_2",
    "csat_3",
    "csat_4",
    "csat_5",
    "ai_runs",
    "ai_answers",
    "ai_handoffs",
)


def upgrade() -> None:
    op.create_table(
        "report_service_days",
        sa.Column("id", _BIG, primary_key=True),
        sa.Column(
            "client_id",
            sa.Integer(),
            sa.ForeignKey("clients.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_user_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTERS),
        sa.Column("ai_intent_cost", sa.Numeric(16, 8), nullable=False),
        sa.UniqueConstraint(
            "client_id",
            "day",
            "number_id",
            "team_id",
            "agent_user_id",
            name="uq_report_service_days_key",
        ),
    )
    op.create_index("ix_report_service_days_client_id", "report_service_days", ["client_id"])
    op.create_index(
        "ix_conversation_cycles_report_opened",
        "conversation_cycles",
        ["client_id", "opened_at"],
        postgresql_include=["first_response_seconds", "team_id", "agent_user_id", "number_id"],
    )
    op.create_index(
        "ix_conversation_cycles_report_resolved",
        "conversation_cycles",
        ["client_id", "resolved_at"],
        postgresql_include=["resolution_seconds", "team_id", "agent_user_id", "number_id"],
    )
    op.create_index("ix_csat_surveys_client_updated", "csat_surveys", ["client_id", "updated_at"])
    op.create_index("ix_ai_reply_runs_client_updated", "ai_reply_runs", ["client_id", "updated_at"])
    op.create_index(
        "ix_ai_reply_runs_conv_created", "ai_reply_runs", ["conversation_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_ai_reply_runs_conv_created", table_name="ai_reply_runs")
    op.drop_index("ix_ai_reply_runs_client_updated", table_name="ai_reply_runs")
    op.drop_index("ix_csat_surveys_client_updated", table_name="csat_surveys")
    op.drop_index("ix_conversation_cycles_report_resolved", table_name="conversation_cycles")
    op.drop_index("ix_conversation_cycles_report_opened", table_name="conversation_cycles")
    op.drop_index("ix_report_service_days_client_id", table_name="report_service_days")
    op.drop_table("report_service_days")
