"""Inbox team tools: conversation labels and canned answers (quick replies).

A conversation is a contact (see ``clickpro.models.contacts``); a label is attached to the
contact, so filtering the inbox by label is one join.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import Model, TenantMixin, TimestampMixin, UTCDateTime, utcnow


class Label(TenantMixin, TimestampMixin, Model):
    __tablename__ = "labels"
    __table_args__ = (sa.UniqueConstraint("client_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    color: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="secondary")


class ContactLabel(Model):
    __tablename__ = "contact_labels"

    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        sa.ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class QuickReply(TenantMixin, TimestampMixin, Model):
    """A canned answer, inserted with ``/shortcut``; ``{{first_name}}`` etc. are filled in."""

    __tablename__ = "quick_replies"
    __table_args__ = (sa.UniqueConstraint("client_id", "shortcut"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shortcut: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
