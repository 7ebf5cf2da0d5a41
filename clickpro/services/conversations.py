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
from clickpro.models import Client, Contact, Conversation, Message, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.webhook.sql import insert_ignoring
from clickpro.tenancy import get_owned


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
    return get_owned(WhatsAppCredential, number_id, client_id=client_id)


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
    return get_owned(Conversation, conversation_id, client_id=client_id)


def inbound_rows(*, client_id: int, message_id: int, **_) -> tuple:
    """An inbound message with its conversation, contact, client and number, in one
    query: what the slow receivers of ``message_received`` (AI, flows, media, service
    cycles) each look up; :func:`clickpro.events.send_round` holds them for the round.
    Empty when the message is not this client's. A failed query is rolled back (the
    receivers then run on a clean session)."""
    try:
        row = db.session.execute(
            sa.select(Message, Conversation, Contact, Client, WhatsAppCredential)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(Contact, Contact.id == Message.contact_id)
            .join(Client, Client.id == Message.client_id)
            .outerjoin(WhatsAppCredential, WhatsAppCredential.id == Conversation.number_id)
            .where(
                Message.id == message_id,
                Message.client_id == client_id,
                Conversation.client_id == client_id,
                Contact.client_id == client_id,
            )
        ).first()
    except Exception:
        db.session.rollback()
        raise
    return tuple(row) if row is not None else ()
