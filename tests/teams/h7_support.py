"""Helpers of the business hours / SLA / CSAT tests (h7): a client on the sandbox with
hours, a team and a conversation; inbound messages at a FIXED instant (the receivers
count from ``messages.created_at``), stored and announced the way the webhook does."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from clickpro.events import message_received, send_safely
from clickpro.extensions import db
from clickpro.models import (
    BusinessHours,
    Conversation,
    ConversationCycle,
    ConversationEvent,
    Message,
    Team,
)
from clickpro.models.base import utcnow
from clickpro.services.webhook.inbound import touch_conversation

SP = ZoneInfo("America/Sao_Paulo")
WEEKDAYS = {str(d): [["08:00", "12:00"], ["13:00", "18:00"]] for d in range(5)}
_n = itertools.count(1)


def sp(*args) -> datetime:
    return datetime(*args, tzinfo=SP)


def set_hours(tenant, team=None, **fields) -> BusinessHours:
    fields.setdefault("weekly", WEEKDAYS)
    fields.setdefault("holidays", [])
    row = BusinessHours(client_id=tenant.id, team_id=team.id if team else None, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def make_team(tenant, **fields) -> Team:
    team = Team(client_id=tenant.id, name=fields.pop("name", f"Equipe {next(_n)}"), **fields)
    db.session.add(team)
    db.session.commit()
    return team


def inbound(conv: Conversation, at: datetime, text: str | None = "Oi", message=None) -> Message:
    """Store an inbound message at ``at``, touch the conversation like the webhook and
    send ``message_received``. The 24 h window is kept open in real time (sends go to
    the sandbox), whatever the fixed instant."""
    body = message or {"type": "text", "text": {"body": text}}
    msg = Message(
        client_id=conv.client_id,
        contact_id=conv.contact_id,
        number_id=conv.number_id,
        conversation_id=conv.id,
        direction="IN",
        author="CONTACT",
        type=body["type"],
        body=text if body["type"] == "text" else "",
        payload=body,
        wamid=f"wamid.h7.{next(_n)}",
        status="RECEIVED",
        created_at=at,
    )
    db.session.add(msg)
    db.session.commit()
    touch_conversation(conv.id, at, text or "")
    db.session.execute(
        sa.update(Conversation).where(Conversation.id == conv.id).values(last_inbound_at=utcnow())
    )
    db.session.commit()
    send_safely(
        message_received,
        client_id=conv.client_id,
        message_id=msg.id,
        contact_id=conv.contact_id,
        conversation_id=conv.id,
        number_id=conv.number_id,
    )
    db.session.expire_all()
    return msg


def system_texts(conv: Conversation) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Message.body)
            .where(Message.conversation_id == conv.id, Message.direction == "OUT")
            .order_by(Message.id)
        )
    )


def cycles_of(conv: Conversation) -> list[ConversationCycle]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(ConversationCycle)
            .where(ConversationCycle.conversation_id == conv.id)
            .order_by(ConversationCycle.id)
        )
    )


def events_of(conv: Conversation, kind: str) -> list[ConversationEvent]:
    return list(
        db.session.scalars(
            sa.select(ConversationEvent).where(
                ConversationEvent.conversation_id == conv.id, ConversationEvent.kind == kind
            )
        )
    )
