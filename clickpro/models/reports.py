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

from clickpro.models.ai import AIReplyRun
from clickpro.models.base import Model, TenantMixin, UTCDateTime, utcnow
from clickpro.models.teams import ConversationCycle, CsatSurvey

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


class ReportServiceDay(TenantMixin, Model):
    """Service counters per (client, local day, number, team, agent): conversations
    opened / resolved, resolved with the AI / without a human, CSAT asked and scored,
    AI runs by outcome and the intent classifier's spend. Rebuilt per (client, day) by
    the rollup job from ``conversation_cycles``, ``csat_surveys`` and ``ai_reply_runs``
    (:func:`clickpro.services.reports.rollups.rebuild_service_days`); "None" keys are 0.

    Which rows count where: cycles by the local day of ``opened_at`` (opened) and of
    ``resolved_at`` (resolved, AI, contained); CSAT by ``asked_at`` with the survey's team
    and its cycle's number; AI runs by ``created_at`` with the conversation's number (team
    and agent 0: the team filter never applies to them)."""

    __tablename__ = "report_service_days"
    __table_args__ = (
        sa.UniqueConstraint(
            "client_id",
            "day",
            "number_id",
            "team_id",
            "agent_user_id",
            name="uq_report_service_days_key",
        ),
    )

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    number_id: Mapped[int] = mapped_column(nullable=False, default=0)
    team_id: Mapped[int] = mapped_column(nullable=False, default=0)
    agent_user_id: Mapped[int] = mapped_column(nullable=False, default=0)
    opened: Mapped[int] = mapped_column(nullable=False, default=0)
    resolved: Mapped[int] = mapped_column(nullable=False, default=0)
    ai_resolved: Mapped[int] = mapped_column(nullable=False, default=0)
    ai_contained: Mapped[int] = mapped_column(nullable=False, default=0)
    csat_asked: Mapped[int] = mapped_column(nullable=False, default=0)
    csat_1: Mapped[int] = mapped_column(nullable=False, default=0)
    csat_2: Mapped[int] = mapped_column(nullable=False, default=0)
    csat_3: Mapped[int] = mapped_column(nullable=False, default=0)
    csat_4: Mapped[int] = mapped_column(nullable=False, default=0)
    csat_5: Mapped[int] = mapped_column(nullable=False, default=0)
    ai_runs: Mapped[int] = mapped_column(nullable=False, default=0)
    ai_answers: Mapped[int] = mapped_column(nullable=False, default=0)
    ai_handoffs: Mapped[int] = mapped_column(nullable=False, default=0)
    ai_intent_cost: Mapped[Decimal] = mapped_column(sa.Numeric(16, 8), nullable=False, default=0)


class ReportCycleTimeBucket(TenantMixin, Model):
    """Histograms of the cycles' business seconds (first response, resolution) per
    (client, local day, number, team, agent, metric, bucket): how many cycles fell in
    each bucket (:mod:`clickpro.services.reports.cycle_times` defines the buckets: exact
    integer seconds below 60 s, then 2 % wide log-scaled ones). ``span`` 0 is a day row;
    ``span`` 1 a month row (``day`` = the 1st), the sum of that month's day rows, so a
    year is read from 12 months of rows plus the days at its edges. ``metric`` 1 is the
    first response (counted on the day of ``opened_at``), 2 the resolution (day of
    ``resolved_at``). Rebuilt per (client, day) by the rollup job; "None" keys are 0."""

    __tablename__ = "report_cycle_time_buckets"
    __table_args__ = (
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

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    span: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, default=0)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    number_id: Mapped[int] = mapped_column(nullable=False, default=0)
    team_id: Mapped[int] = mapped_column(nullable=False, default=0)
    agent_user_id: Mapped[int] = mapped_column(nullable=False, default=0)
    metric: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    bucket: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    cycles: Mapped[int] = mapped_column(nullable=False, default=0)


# Indexes the reports need on tables of other modules (defined here, with the migration
# f20a08030001, so the models and the migrations agree):
# - range reads of the cycles by opening / resolution time, covering the value and the
#   group / filter columns (the request-time percentiles read them until h1's histograms;
#   now the rollup's cycle-time and service passes do);
# - the rollup's incremental scans (``updated_at`` past the mark) of CSAT and AI runs;
# - the rollup's "did the AI answer inside this cycle" probe by conversation and time.
_cycles = ConversationCycle.__table__
sa.Index(
    "ix_conversation_cycles_report_opened",
    _cycles.c.client_id,
    _cycles.c.opened_at,
    postgresql_include=["first_response_seconds", "team_id", "agent_user_id", "number_id"],
)
sa.Index(
    "ix_conversation_cycles_report_resolved",
    _cycles.c.client_id,
    _cycles.c.resolved_at,
    postgresql_include=["resolution_seconds", "team_id", "agent_user_id", "number_id"],
)
sa.Index(
    "ix_csat_surveys_client_updated",
    CsatSurvey.__table__.c.client_id,
    CsatSurvey.__table__.c.updated_at,
)
sa.Index(
    "ix_ai_reply_runs_client_updated",
    AIReplyRun.__table__.c.client_id,
    AIReplyRun.__table__.c.updated_at,
)
sa.Index(
    "ix_ai_reply_runs_conv_created",
    AIReplyRun.__table__.c.conversation_id,
    AIReplyRun.__table__.c.created_at,
)
