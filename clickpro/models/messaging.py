"""Messages (in and out), raw webhook events and statuses waiting for their message."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import IntEnum, StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import (
    JSONType,
    Model,
    TenantMixin,
    TimestampMixin,
    UTCDateTime,
    utcnow,
)


class Direction(StrEnum):
    IN = "IN"
    OUT = "OUT"


class Author(StrEnum):
    CONTACT = "CONTACT"
    AI = "AI"
    AGENT = "AGENT"
    CAMPAIGN = "CAMPAIGN"
    SYSTEM = "SYSTEM"


class MessageStatus(StrEnum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    SKIPPED = "SKIPPED"
    UNKNOWN = "UNKNOWN"
    RECEIVED = "RECEIVED"  # inbound


class DeliveryRank(IntEnum):
    """Order in which delivery statuses may only move forward."""

    SENT = 1
    DELIVERED = 2
    READ = 3


class Message(TenantMixin, TimestampMixin, Model):
    __tablename__ = "messages"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "contact_id"),
        sa.Index("ix_messages_contact_id_id", "contact_id", "id"),
        sa.Index("ix_messages_campaign_status", "campaign_id", "status"),
        sa.Index("ix_messages_client_created", "client_id", "created_at"),
        # Inbox: reconnect catch-up (status changes since a time) and full-text search.
        sa.Index("ix_messages_client_updated", "client_id", "updated_at"),
        # Cost reports: priced messages of a client by delivery time (h6).
        sa.Index(
            "ix_messages_client_priced",
            "client_id",
            "delivered_at",
            postgresql_where=sa.text("pricing_category IS NOT NULL"),
            sqlite_where=sa.text("pricing_category IS NOT NULL"),
        ),
        sa.Index(
            "ix_messages_body_trgm",
            "body",
            postgresql_using="gin",
            postgresql_ops={"body": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False
    )
    conversation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # The client's number the message went out from / arrived to.
    number_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("whatsapp_credentials.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    direction: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    author: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="text")
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    payload: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    template_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("templates.id", ondelete="SET NULL")
    )
    wamid: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    context_wamid: Mapped[str | None] = mapped_column(sa.String(128))
    media_id: Mapped[str | None] = mapped_column(sa.String(128))
    is_internal_note: Mapped[bool] = mapped_column(nullable=False, default=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=MessageStatus.QUEUED)
    error_code: Mapped[int | None] = mapped_column()
    error_title: Mapped[str | None] = mapped_column(sa.String(500))
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Campaigns: a SENDING row belongs to its dispatcher until then (renewed while the
    # dispatcher lives); past it plus CAMPAIGN_UNKNOWN_GRACE_S without a status: UNKNOWN.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Campaigns: when "retry failed" (or the 131049 auto-retry) re-queued this row; a row
    # is retried at most once, so a set value keeps it out of the next retry.
    retried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # AI replies: tokens and latency; inbound: the AI job that answered it.
    ai_usage: Mapped[dict | None] = mapped_column(JSONType)
    # Cost ledger (h6): the status webhook's ``pricing`` (first one wins) and the cost
    # derived from the rate card valid at that time; never recomputed afterwards.
    pricing_model: Mapped[str | None] = mapped_column(sa.String(8))
    pricing_category: Mapped[str | None] = mapped_column(sa.String(40))
    pricing_type: Mapped[str | None] = mapped_column(sa.String(32))
    billable: Mapped[bool | None] = mapped_column()
    cost: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 6))
    cost_currency: Mapped[str | None] = mapped_column(sa.String(3))
    rate_card_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rate_cards.id", ondelete="SET NULL")
    )
    # The business number (phone_number_id) the pricing was reported for.
    pricing_number: Mapped[str | None] = mapped_column(sa.String(64))
    # (The send response's pacing state and endpoint are kept in ``payload``:
    # "message_status": "held_for_quality_assessment", "sent_via": "marketing_messages".)


class WebhookEvent(Model):
    """A raw, signature-checked delivery from Meta, stored before it is acknowledged."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    signature_ok: Mapped[bool] = mapped_column(nullable=False, default=False)
    routed: Mapped[bool] = mapped_column(nullable=False, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    # Processing lease / retry backoff: nobody (re)processes the event before this time.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(sa.Text)
    # Which Meta app signed the delivery: "platform" (META_APP_SECRET) or the fingerprint
    # of a client's own app secret. Only changes of that app's numbers/WABAs are routed.
    signed_by: Mapped[str | None] = mapped_column(sa.String(64))
    # Changes of the body dropped because they name another app's number or WABA.
    dropped: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    # Messages in the body with neither a phone nor a BSUID: kept here, counted, shown.
    malformed: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    # Dead letter: set when the last attempt failed; left for the super admin.
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class PendingStatus(TenantMixin, Model):
    """A status webhook for a wamid we do not know yet; applied when the wamid is stored."""

    __tablename__ = "pending_statuses"
    __table_args__ = (sa.UniqueConstraint("wamid", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wamid: Mapped[str] = mapped_column(sa.String(128), index=True, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    payload: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
