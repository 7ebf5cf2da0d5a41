"""Conversations: one per contact per WhatsApp number of the client.

A customer who writes to two numbers of the same client (sales and support) is one
contact with two conversations. The conversation holds the inbox state (status,
assignee, unread count, last message, the 24 h customer-service window of that
number, AI pause); messages point to it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import Model, TenantMixin, TimestampMixin, UTCDateTime


class ConversationStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class Conversation(TenantMixin, TimestampMixin, Model):
    __tablename__ = "conversations"
    __table_args__ = (
        sa.UniqueConstraint("contact_id", "number_id"),
        sa.Index("ix_conversations_client_last_message", "client_id", "last_message_at"),
        sa.Index("ix_conversations_number_last_message", "number_id", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # The client's WhatsApp number (a whatsapp_credentials row) the customer wrote to.
    number_id: Mapped[int] = mapped_column(
        sa.ForeignKey("whatsapp_credentials.id", ondelete="CASCADE"), nullable=False
    )
    status: Mapped[str] = mapped_column(
        sa.String(12), nullable=False, default=ConversationStatus.OPEN
    )
    assigned_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    unread_count: Mapped[int] = mapped_column(nullable=False, default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_preview: Mapped[str | None] = mapped_column(sa.String(200))
    # The customer's last message to this number: opens its 24 h service window.
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ai_paused: Mapped[bool] = mapped_column(nullable=False, default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
