"""In-panel notifications for a client's members."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import Model, TenantMixin, TimestampMixin, UTCDateTime


class Notification(TenantMixin, TimestampMixin, Model):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_client_read", "client_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: every admin of the client sees it.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    text: Mapped[str] = mapped_column(sa.String(500), nullable=False)
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
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
