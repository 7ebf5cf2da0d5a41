"""Report rollups (issue #22): per client × local day counters kept by a job.

``report_message_days`` holds one row per (client, local day, number, campaign, pricing
category, currency) with message counters, the campaign funnel, WhatsApp and AI spend;
``report_failure_days`` the failed messages by Meta error code. "None" keys are stored as
0 / "" so the unique key works on every database. The job
(:mod:`clickpro.services.reports.rollups`) rebuilds whole (client, day) buckets from the
messages, so re-running it never double counts. ``report_rollup_state`` keeps its
high-water mark.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import Model, TenantMixin, UTCDateTime, utcnow

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class ReportMessageDay(TenantMixin, Model):
    __tablename__ = "report_message_days"
    __table_args__ = (
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

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)  # the client's local day
    number_id: Mapped[int] = mapped_column(nullable=False, default=0)  # 0: no number
    campaign_id: Mapped[int] = mapped_column(nullable=False, default=0)  # 0: not a campaign
    category: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="")
    msgs_in: Mapped[int] = mapped_column(nullable=False, default=0)
    msgs_out: Mapped[int] = mapped_column(nullable=False, default=0)
    out_ai: Mapped[int] = mapped_column(nullable=False, default=0)
    out_agent: Mapped[int] = mapped_column(nullable=False, default=0)
    # Funnel of outbound messages (each stage counts the rows that reached it or beyond).
    sent: Mapped[int] = mapped_column(nullable=False, default=0)
    delivered: Mapped[int] = mapped_column(nullable=False, default=0)
    read: Mapped[int] = mapped_column(nullable=False, default=0)
    failed: Mapped[int] = mapped_column(nullable=False, default=0)
    replied: Mapped[int] = mapped_column(nullable=False, default=0)
    opted_out: Mapped[int] = mapped_column(nullable=False, default=0)
    # WhatsApp cost of delivered/read priced messages; charged (cost > 0) / free (cost 0).
    charged: Mapped[int] = mapped_column(nullable=False, default=0)
    free: Mapped[int] = mapped_column(nullable=False, default=0)
    cost: Mapped[Decimal] = mapped_column(sa.Numeric(16, 6), nullable=False, default=0)
    ai_cost: Mapped[Decimal] = mapped_column(sa.Numeric(16, 8), nullable=False, default=0)


class ReportFailureDay(TenantMixin, Model):
    __tablename__ = "report_failure_days"
    __table_args__ = (
        sa.UniqueConstraint(
            "client_id",
            "day",
            "number_id",
            "campaign_id",
            "error_code",
            name="uq_report_failure_days_key",
        ),
    )

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    number_id: Mapped[int] = mapped_column(nullable=False, default=0)
    campaign_id: Mapped[int] = mapped_column(nullable=False, default=0)
    error_code: Mapped[int] = mapped_column(nullable=False, default=0)  # 0: no code
    failures: Mapped[int] = mapped_column(nullable=False, default=0)


class ReportRollupState(Model):
    """The job's high-water mark (one row per rollup name)."""

    __tablename__ = "report_rollup_state"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    high_water: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_run_ms: Mapped[int] = mapped_column(nullable=False, default=0)
    last_days: Mapped[int] = mapped_column(nullable=False, default=0)
