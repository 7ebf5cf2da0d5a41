"""WhatsApp message templates, as submitted to and reported by Meta."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, TenantMixin, TimestampMixin, UTCDateTime


class TemplateStatus(StrEnum):
    DRAFT = "DRAFT"  # ours: not yet submitted
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    PAUSED = "PAUSED"
    DISABLED = "DISABLED"
    IN_APPEAL = "IN_APPEAL"
    PENDING_DELETION = "PENDING_DELETION"
    DELETED = "DELETED"
    ARCHIVED = "ARCHIVED"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


class Template(TenantMixin, TimestampMixin, Model):
    __tablename__ = "templates"
    __table_args__ = (sa.UniqueConstraint("client_id", "waba_id", "name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Templates belong to a WhatsApp Business Account; a client with numbers on two
    # WABAs has two template lists.
    waba_id: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, default="", server_default=""
    )
    name: Mapped[str] = mapped_column(sa.String(512), nullable=False)
    language: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pt_BR")
    category: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="MARKETING")
    components: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    status: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, default=TemplateStatus.DRAFT, index=True
    )
    meta_template_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    rejected_reason: Mapped[str | None] = mapped_column(sa.String(255))
    quality_score: Mapped[str | None] = mapped_column(sa.String(16))
    # Meta's message_send_ttl_seconds; None = Meta's default (services/templates/ttl.py).
    send_ttl_seconds: Mapped[int | None] = mapped_column(sa.Integer)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
