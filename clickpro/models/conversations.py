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
    SNOOZED = "SNOOZED"  # hidden until ``snoozed_until`` (or the customer writes), then OPEN
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
    # The team (department) it belongs to; None: the client's general queue.
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    # 0 normal, 1 high (a complaint); the inbox sorts high first.
    priority: Mapped[int] = mapped_column(
        sa.SmallInteger(), nullable=False, default=0, server_default="0"
    )
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who snoozed it (gets the reminder in the bell when it reopens).
    snoozed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Start of the current open cycle, and its deadlines (copied from the open
    # conversation_cycles row so the inbox can sort by them without a join).
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Key of the closed period the off-hours reply was sent for (once per period).
    off_hours_reply_period: Mapped[str | None] = mapped_column(sa.String(40))
