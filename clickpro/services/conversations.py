"""Conversations of a client: one per contact per WhatsApp number (see the model).

Every path that creates messages (webhook inbound, agent replies, campaigns, the API,
the AI) gets its conversation here, so the "one per (contact, number)" rule is enforced
in one place and is race-free: the row is inserted with ``ON CONFLICT DO NOTHING`` and
read back, so two workers seeing the first message of a customer at once end with one
conversation.
"""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Conversation, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.webhook.sql import insert_ignoring


def active_numbers(client_id: int) -> list[WhatsAppCredential]:
    """The client's numbers that are not archived, first number first."""
    return list(
        db.session.scalars(
            sa.select(WhatsAppCredential)
            .where(
                WhatsAppCredential.client_id == client_id,
                WhatsAppCredential.archived_at.is_(None),
            )
            .order_by(WhatsAppCredential.id)
        )
    )


def first_number(client_id: int) -> WhatsAppCredential | None:
    """The client's first number: the default for anything that does not name one."""
    return db.session.scalar(
        sa.select(WhatsAppCredential)
        .where(
            WhatsAppCredential.client_id == client_id,
            WhatsAppCredential.archived_at.is_(None),
        )
        .order_by(WhatsAppCredential.id)
        .limit(1)
    )


def get_number(client_id: int, number_id: int | None) -> WhatsAppCredential | None:
    """The client's number ``number_id`` (archived ones included: history keeps them);
    ``None`` when it is not this client's. ``number_id=None`` is the first number."""
    if number_id is None:
        return first_number(client_id)
    return db.session.scalar(
        sa.select(WhatsAppCredential).where(
            WhatsAppCredential.client_id == client_id, WhatsAppCredential.id == number_id
        )
    )


def get_or_create_conversation(client_id: int, contact_id: int, number_id: int) -> Conversation:
    """The conversation of ``contact_id`` on ``number_id``, created when missing."""
    now = utcnow()
    db.session.execute(
        insert_ignoring(Conversation.__table__, "contact_id", "number_id").values(
            client_id=client_id,
            contact_id=contact_id,
            number_id=number_id,
            status="OPEN",
            unread_count=0,
            ai_paused=False,
            created_at=now,
            updated_at=now,
        )
    )
    conversation = db.session.scalar(
        sa.select(Conversation).where(
            Conversation.contact_id == contact_id, Conversation.number_id == number_id
        )
    )
    assert conversation is not None and conversation.client_id == client_id
    return conversation


def get_conversation(client_id: int, conversation_id: int) -> Conversation | None:
    """The client's conversation ``conversation_id`` (``None`` for another client's)."""
    return db.session.scalar(
        sa.select(Conversation).where(
            Conversation.client_id == client_id, Conversation.id == conversation_id
        )
    )
