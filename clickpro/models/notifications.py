"""In-panel notifications for a client's members, and who has read which.

One row per event (``dedupe_key`` makes a repeated event a no-op), read state per user
(``notification_reads``): one member reading a notification never marks it read for the
others.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import Model, TenantMixin, TimestampMixin, UTCDateTime, utcnow


class Audience(StrEnum):
    MEMBERS = "members"  # every member of the client (agents included)
    ADMINS = "admins"  # the client's admins only


class Notification(TenantMixin, TimestampMixin, Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # One notification per event: notify() with the same key again inserts nothing.
        sa.UniqueConstraint("client_id", "dedupe_key", name="uq_notifications_client_dedupe"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set: only that user sees it; None: the ``audience`` of the client sees it.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default=Audience.MEMBERS, server_default=Audience.MEMBERS
    )
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    text: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(160))
    # What it is about; the web layer builds the link from kind + ids with url_for
    # (``clickpro.blueprints.notifications.links``), so services never spell URLs.
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    template_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("templates.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )


class NotificationRead(Model):
    """``user_id`` has read ``notification_id`` (no row: unread for that user)."""

    __tablename__ = "notification_reads"

    notification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
