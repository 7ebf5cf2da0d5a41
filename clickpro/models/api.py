"""The public REST API's own tables: tokens, idempotency keys, outbound webhooks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

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


class ApiToken(TenantMixin, TimestampMixin, Model):
    """A per-client API token; only its SHA-256 is stored (the token is shown once)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    # First characters ("cpk_ab12…") so a person can tell tokens apart in the panel.
    token_prefix: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKey(TenantMixin, Model):
    """One ``Idempotency-Key`` of a client: the request's fingerprint and its answer.

    ``status_code`` NULL means the first request is still running.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("client_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status_code: Mapped[int | None] = mapped_column()
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboundEvent(StrEnum):
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_STATUS = "message.status"
    CAMPAIGN_COMPLETED = "campaign.completed"
    OPTOUT_CREATED = "optout.created"
    CONVERSATION_ASSIGNED = "conversation.assigned"
    CONVERSATION_RESOLVED = "conversation.resolved"
    CSAT_RECEIVED = "csat.received"


class WebhookEndpoint(TenantMixin, TimestampMixin, Model):
    """A client's URL that receives signed event deliveries."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    events: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    secret_enc: Mapped[str] = mapped_column(sa.Text, nullable=False)
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True)
    # Per-endpoint backoff: consecutive failed attempts; once "failing", the time before
    # which no delivery to it is attempted (one attempt at a time, the others wait).
    failures: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookDelivery(TenantMixin, TimestampMixin, Model):
    """One event sent (or being sent) to one endpoint, with its last response."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    )
    event: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    # The exact bytes signed and sent (every retry sends the same body and signature).
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(12), nullable=False, default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column()
    last_response: Mapped[str | None] = mapped_column(sa.String(1000))
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
