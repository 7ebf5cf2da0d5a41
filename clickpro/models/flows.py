"""Chatbot flows (issue #20): a graph of steps a conversation walks through.

* ``flows``: the flow a client admin edits. ``draft`` is the graph being edited (JSON,
  see ``clickpro.services.flows.graph`` for its shape); publishing copies it into a new
  ``flow_versions`` row and points ``published_version_id`` at it. Rolling back points it
  at an older version. Triggers live inside the graph, so they are versioned too.
* ``flow_runs``: one conversation walking one version. A run in progress finishes on the
  version it started, whatever is published meanwhile. At most one *live* run per
  conversation is in progress (partial unique index). Simulator runs have no
  conversation (``mode = simulator``) and never touch WhatsApp.
* ``flow_run_steps``: the run's journal, one row per step entered (``seq`` 1, 2, ...),
  with what happened there. It is what makes a restart resume where it was (the run's
  ``current_step`` + ``step_state``), what the per-step report counts, and what the
  simulator shows.
* ``flow_run_inputs``: one row per inbound message a run consumed. ``UNIQUE(message_id)``
  is the exactly-once guarantee: a duplicated webhook or a retried job finds the message
  taken and does nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, TenantMixin, TimestampMixin, UTCDateTime, utcnow


class FlowRunMode(StrEnum):
    LIVE = "live"  # a real conversation on WhatsApp
    SIMULATOR = "simulator"  # the editor's chat pane: nothing leaves the platform


class FlowRunStatus(StrEnum):
    RUNNING = "running"  # executing steps (a worker holds it, or resumes it after a crash)
    WAITING_INPUT = "waiting_input"  # an ask step waits for the customer's answer
    WAITING_TIMER = "waiting_timer"  # a wait step sleeps until ``wake_at``
    COMPLETED = "completed"  # reached an end step
    HANDED_OFF = "handed_off"  # reached a handoff step (a person takes over)
    EXITED = "exited"  # left early: an agent replied, the customer typed "atendente"
    ABANDONED = "abandoned"  # the flow's timeout passed without an answer
    FAILED = "failed"  # a step could not run (logged in the journal)


ACTIVE_RUN_STATUSES = (
    FlowRunStatus.RUNNING,
    FlowRunStatus.WAITING_INPUT,
    FlowRunStatus.WAITING_TIMER,
)
ACTIVE_RUN_SQL = "status IN ('running', 'waiting_input', 'waiting_timer')"


class FlowTriggerKind(StrEnum):
    KEYWORD = "keyword"
    NEW_CONVERSATION = "new_conversation"  # the first message of a new conversation
    OFF_HOURS = "off_hours"
    CAMPAIGN_REPLY = "campaign_reply"
    MANUAL = "manual"  # started by an agent from the inbox, or by the API


class Flow(TenantMixin, TimestampMixin, Model):
    __tablename__ = "flows"
    __table_args__ = (sa.UniqueConstraint("client_id", "name", name="uq_flows_client_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    # Only this number's conversations (None: every number of the client).
    number_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("whatsapp_credentials.id", ondelete="SET NULL"), index=True
    )
    draft: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    draft_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("flow_versions.id", ondelete="SET NULL", use_alter=True)
    )
    # Off: published but its triggers do not fire (runs in progress finish).
    enabled: Mapped[bool] = mapped_column(nullable=False, default=True)
    # Which ready-made template it came from ("menu_atendimento", ...), if any.
    template_key: Mapped[str | None] = mapped_column(sa.String(40))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class FlowVersion(TenantMixin, Model):
    __tablename__ = "flow_versions"
    __table_args__ = (sa.UniqueConstraint("flow_id", "number", name="uq_flow_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(
        sa.ForeignKey("flows.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(nullable=False)  # 1, 2, ... per flow
    graph: Mapped[dict] = mapped_column(JSONType, nullable=False)
    note: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class FlowRun(TenantMixin, TimestampMixin, Model):
    __tablename__ = "flow_runs"
    __table_args__ = (
        sa.Index(
            "uq_flow_runs_one_active_per_conversation",
            "conversation_id",
            unique=True,
            postgresql_where=sa.text(f"conversation_id IS NOT NULL AND {ACTIVE_RUN_SQL}"),
            sqlite_where=sa.text(f"conversation_id IS NOT NULL AND {ACTIVE_RUN_SQL}"),
        ),
        sa.Index("ix_flow_runs_flow_started", "flow_id", "started_at"),
        sa.Index("ix_flow_runs_status_wake", "status", "wake_at"),
        sa.Index("ix_flow_runs_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(
        sa.ForeignKey("flows.id", ondelete="CASCADE"), nullable=False
    )
    version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("flow_versions.id", ondelete="CASCADE")
    )  # None only for simulator runs of the draft (the graph is then in ``graph_snapshot``)
    graph_snapshot: Mapped[dict | None] = mapped_column(JSONType)
    mode: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=FlowRunMode.LIVE)
    conversation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    trigger: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # FlowTriggerKind
    status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default=FlowRunStatus.RUNNING
    )
    current_step: Mapped[str | None] = mapped_column(sa.String(64))
    # Per-step working state (retries of an ask, the HTTP attempt...), keyed by step id.
    step_state: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    variables: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    seq: Mapped[int] = mapped_column(nullable=False, default=0)  # last journal seq
    wake_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # wait step
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # flow timeout
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(sa.String(40))
    started_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class FlowRunStep(TenantMixin, Model):
    __tablename__ = "flow_run_steps"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "seq", name="uq_flow_run_steps_seq"),
        sa.Index("ix_flow_run_steps_flow_step", "flow_id", "step_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("flow_runs.id", ondelete="CASCADE"), nullable=False
    )
    flow_id: Mapped[int] = mapped_column(
        sa.ForeignKey("flows.id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(nullable=False)
    step_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    step_type: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # entered / sent / answered / invalid / http_ok / http_error / ai / handoff / ended ...
    outcome: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="entered")
    detail: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    # The outbound message this step sent (live runs), for exactly-once sends.
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class FlowRunInput(TenantMixin, Model):
    __tablename__ = "flow_run_inputs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("flow_runs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    message_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
