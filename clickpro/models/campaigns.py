"""Campaigns: one approved template sent to the eligible contacts of chosen lists."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, TenantMixin, TimestampMixin, UTCDateTime


class CampaignStatus(StrEnum):
    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    PREPARING = "PREPARING"  # started: its rows are being materialized by a job
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class Campaign(TenantMixin, TimestampMixin, Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # The number the campaign sends from (None on old rows: the client's first number).
    number_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("whatsapp_credentials.id", ondelete="SET NULL"), index=True
    )
    template_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("templates.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(
        sa.String(12), nullable=False, default=CampaignStatus.DRAFT, index=True
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    batch_size: Mapped[int | None] = mapped_column()
    batch_interval_s: Mapped[float | None] = mapped_column()
    rate_mps: Mapped[float] = mapped_column(nullable=False, default=20.0)
    # {"days": [0..6], "start": "08:00", "end": "20:00"} in the client's timezone.
    send_window: Mapped[dict | None] = mapped_column(JSONType)
    # {"body": [...], "header": [...], "buttons": {"0": [...]}, "header_media": {...}}
    variables: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    missing_value_policy: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="skip")
    counters: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    pause_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # Who paused it: "user", "window" (outside the send window: resumes by itself) or
    # "system" (auth, template, failure rate): the watchdog only resumes "window".
    paused_by: Mapped[str | None] = mapped_column(sa.String(12))
    # Set once the messages rows exist (start is idempotent).
    materialized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class CampaignList(Model):
    """A list a campaign targets (or excludes)."""

    __tablename__ = "campaign_lists"

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    list_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contact_lists.id", ondelete="CASCADE"), primary_key=True
    )
    is_exclusion: Mapped[bool] = mapped_column(nullable=False, default=False)


class MessageRetry(Model):
    """One re-send of a campaign row, by failure kind: ``"131000"`` (an error code) or
    ``"unknown"`` (an outcome nobody knows). "Resend failed" and "resend unknown" re-queue
    a row at most once per kind (``round`` 1); 131049 gets a second round after Meta's
    longer back-off. The unique key makes a double click re-send nothing twice."""

    __tablename__ = "message_retries"
    __table_args__ = (sa.UniqueConstraint("message_id", "kind", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        sa.ForeignKey("messages.id", ondelete="CASCADE"),
        nullable=False,
    )
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    round: Mapped[int] = mapped_column(nullable=False, default=1)
    # When the failure being retried happened (the row's failed_at then).
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retried_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
