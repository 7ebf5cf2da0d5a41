"""Teams (departments), business hours, conversation history, service cycles and CSAT.

A client's conversations belong to at most one team and at most one agent
(``conversations.team_id`` / ``assigned_user_id``). Every assignment or team change is a
``conversation_events`` row with who did it. Each open → resolved stretch of a
conversation is a ``conversation_cycles`` row: the first response and resolution times
(counted in business hours) and the CSAT answer live there, so reports read one row per
handled conversation instead of replaying messages.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, TenantMixin, TimestampMixin, UTCDateTime, utcnow


class AssignmentRule(StrEnum):
    MANUAL = "manual"  # lands unassigned in the team's queue
    ROUND_ROBIN = "round_robin"
    LEAST_BUSY = "least_busy"  # fewest open conversations among online, not-away agents


class Team(TenantMixin, TimestampMixin, Model):
    __tablename__ = "teams"
    __table_args__ = (sa.UniqueConstraint("client_id", "name", name="uq_teams_client_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    # New conversations on this number are routed to this team.
    number_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("whatsapp_credentials.id", ondelete="SET NULL"), index=True
    )
    assignment_rule: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default=AssignmentRule.MANUAL
    )
    # Cap of open conversations per agent for automatic assignment (None: no cap).
    max_open_per_agent: Mapped[int | None] = mapped_column()
    # Round-robin cursor: the member who got the last automatic assignment.
    last_assigned_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Service levels in business minutes (None: no target).
    sla_first_response_minutes: Mapped[int | None] = mapped_column()
    sla_resolution_minutes: Mapped[int | None] = mapped_column()
    csat_enabled: Mapped[bool] = mapped_column(nullable=False, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TeamMember(Model):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class BusinessHours(TenantMixin, TimestampMixin, Model):
    """Opening hours of the client (``team_id`` None) or of one team.

    ``weekly``: ``{"0": [["08:00", "12:00"], ["13:00", "18:00"]], ..., "6": []}`` with
    Monday = "0" (``datetime.weekday()``), local times in ``timezone`` (None: the
    client's time zone); a missing day is closed. ``holidays``: ``["2026-12-25", ...]``
    (closed all day). A team without its own row uses the client's.
    """

    __tablename__ = "business_hours"
    __table_args__ = (
        sa.Index(
            "uq_business_hours_client_default",
            "client_id",
            unique=True,
            postgresql_where=sa.text("team_id IS NULL"),
            sqlite_where=sa.text("team_id IS NULL"),
        ),
        sa.UniqueConstraint("team_id", name="uq_business_hours_team"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    weekly: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    holidays: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    # Off-hours auto-reply: sent once per conversation per closed period; the text may
    # hold {abertura} (the next opening, e.g. "amanhã às 8h").
    off_hours_enabled: Mapped[bool] = mapped_column(nullable=False, default=False)
    off_hours_message: Mapped[str | None] = mapped_column(sa.Text)


class ConversationEventKind(StrEnum):
    ASSIGNED = "assigned"  # agent and/or team changed (from_* / to_* say what)
    TRANSFERRED = "transferred"  # an agent handed over with a note
    RESOLVED = "resolved"
    REOPENED = "reopened"
    SNOOZED = "snoozed"
    UNSNOOZED = "unsnoozed"
    OFF_HOURS_REPLY = "off_hours_reply"
    SLA_BREACHED = "sla_breached"
    CSAT = "csat"


class ConversationEvent(TenantMixin, Model):
    """The conversation's history: who assigned, transferred, resolved, snoozed — and when."""

    __tablename__ = "conversation_events"
    __table_args__ = (
        sa.Index("ix_conversation_events_conv_time", "conversation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    # Who did it; None with ``actor`` "system" / "ai" / "flow" / "rule" / "api".
    actor_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="user")
    from_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    to_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    to_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ConversationCycle(TenantMixin, Model):
    """One open → resolved stretch of a conversation, with its service figures."""

    __tablename__ = "conversation_cycles"
    __table_args__ = (
        sa.Index("ix_conversation_cycles_client_opened", "client_id", "opened_at"),
        sa.Index("ix_conversation_cycles_client_resolved", "client_id", "resolved_at"),
        sa.Index("ix_conversation_cycles_conv", "conversation_id", "resolved_at"),
        # At most one open cycle per conversation: inserting it is the once-per-cycle claim.
        sa.Index(
            "uq_conversation_cycles_open",
            "conversation_id",
            unique=True,
            postgresql_where=sa.text("resolved_at IS NULL"),
            sqlite_where=sa.text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    number_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("whatsapp_credentials.id", ondelete="SET NULL")
    )
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    # The agent who handled it (assignee at resolution, else first responder).
    agent_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Business-hours seconds (the team's hours, else the client's).
    first_response_seconds: Mapped[int | None] = mapped_column()
    resolution_seconds: Mapped[int | None] = mapped_column()
    # Deadlines of the team's SLA for this cycle (instants; None: no target).
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_breached: Mapped[bool] = mapped_column(nullable=False, default=False)
    resolution_breached: Mapped[bool] = mapped_column(nullable=False, default=False)
    csat_score: Mapped[int | None] = mapped_column(sa.SmallInteger())


class CsatStatus(StrEnum):
    ASKED = "ASKED"  # the 1–5 question was sent
    RATED = "RATED"  # a score came back; the comment question was sent
    COMMENTED = "COMMENTED"
    DROPPED = "DROPPED"  # the customer wrote something else: survey dropped, chat reopens
    EXPIRED = "EXPIRED"


class CsatSurvey(TenantMixin, TimestampMixin, Model):
    __tablename__ = "csat_surveys"
    __table_args__ = (sa.Index("ix_csat_surveys_conv_status", "conversation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    cycle_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversation_cycles.id", ondelete="SET NULL")
    )
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    agent_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=CsatStatus.ASKED)
    score: Mapped[int | None] = mapped_column(sa.SmallInteger())
    comment: Mapped[str | None] = mapped_column(sa.Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
