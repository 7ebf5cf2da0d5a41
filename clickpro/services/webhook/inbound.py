"""Inbound messages of a ``messages`` webhook change: who wrote, the message, its
conversation.

The sender is identified by phone (``from`` / ``contacts[].wa_id``), by business-scoped
user id (``from_user_id`` / ``contacts[].user_id``) or both
(:mod:`clickpro.services.contacts.identity`): a username user with no phone in the
webhook reaches the inbox like anyone else. The message lands in the conversation of the
contact on the number that received it (``metadata.phone_number_id``).

A message with neither a phone nor a BSUID (or no id) cannot be stored: it is counted in
``Ingested.malformed`` (kept on the event for the super admin) and the rest of the body
is processed. Meta's identity-change system messages (``user_changed_user_id``,
``user_changed_number``) and the ``user_id_update`` field move the identity
(:mod:`clickpro.services.contacts.identity_change`) and leave a system note in the thread.

Core SQL only (no ORM objects): a webhook batch may carry many messages and several
workers may ingest the same contact at once, so every write is an idempotent
``INSERT … ON CONFLICT DO NOTHING`` or an atomic conditional ``UPDATE``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import (
    Author,
    Conversation,
    Direction,
    Message,
    MessageStatus,
    WhatsAppCredential,
)
from clickpro.models.base import utcnow
from clickpro.services.contacts.identity import IdentityError, Seen, resolve_contact
from clickpro.services.contacts.identity_change import (
    IDENTITY_SYSTEM_TYPES,
    apply_system_message,
    apply_user_id_update,
)
from clickpro.services.conversations import get_or_create_conversation
from clickpro.services.messaging.delivery import to_datetime
from clickpro.services.webhook.bodies import media_id_of, readable_body
from clickpro.services.webhook.sql import insert_ignoring, latest

log = logging.getLogger(__name__)
_messages = Message.__table__
_conversations = Conversation.__table__
_credentials = WhatsAppCredential.__table__
PREVIEW_LENGTH = 200
CONVERSATION_OPEN = "OPEN"
CONVERSATION_RESOLVED = "RESOLVED"


class PayloadError(ServiceError, ValueError):
    """The event's content cannot be processed as it is (kept with this error, not retried)."""

    code = "invalid_payload"


@dataclass(frozen=True)
class Received:
    """A newly stored inbound message; the payload of ``message_received``."""

    client_id: int
    message_id: int
    contact_id: int
    conversation_id: int
    number_id: int


@dataclass
class Ingested:
    """What one change value gave: the new messages and how many could not be stored."""

    received: list[Received] = field(default_factory=list)
    malformed: int = 0


@dataclass(frozen=True)
class Number:
    """The client's number (a ``whatsapp_credentials`` row) a change names."""

    id: int
    waba_id: str


def number_of(client_id: int, phone_number_id: object) -> Number | None:
    c = _credentials.c
    row = db.session.execute(
        sa.select(c.id, c.waba_id)
        .where(c.client_id == client_id, c.phone_number_id == str(phone_number_id or ""))
        .limit(1)
    ).first()
    return Number(row.id, row.waba_id or "") if row else None


# --------------------------------------------------------------------------- identifiers
def _profiles(value: dict) -> tuple[dict[str, dict], dict[str, dict]]:
    """``contacts[]`` entries by BSUID and by phone."""
    by_user: dict[str, dict] = {}
    by_phone: dict[str, dict] = {}
    for item in value.get("contacts") or []:
        if not isinstance(item, dict):
            continue
        if item.get("user_id"):
            by_user[str(item["user_id"])] = item
        if item.get("wa_id"):
            by_phone[str(item["wa_id"])] = item
    return by_user, by_phone


def sender_of(msg: dict, value: dict, *, entry_phone: bool = True) -> Seen:
    """The sender's identifiers: the message's own, completed by its ``contacts[]`` entry.

    ``entry_phone=False`` ignores the entry's ``wa_id`` (a number-change system message
    may describe the new number there).
    """
    by_user, by_phone = _profiles(value)
    wa_id = msg.get("from")
    bsuid = msg.get("from_user_id")
    item = by_user.get(str(bsuid)) if bsuid else None
    if item is None and wa_id:
        item = by_phone.get(str(wa_id))
    item = item or {}
    profile = found if isinstance(found := item.get("profile"), dict) else {}
    return Seen.of(
        wa_id=wa_id or (item.get("wa_id") if entry_phone and bsuid else None),
        bsuid=bsuid or (item.get("user_id") if wa_id else None),
        parent_bsuid=msg.get("from_parent_user_id") or item.get("parent_user_id"),
        username=profile.get("username"),
        name=profile.get("name"),
    )


# --------------------------------------------------------------------------- storage
def insert_message(
    client_id: int, contact_id: int, msg: dict, *, number_id: int, conversation_id: int
) -> int | None:
    """Store one inbound message; None when its wamid is already stored (a redelivery)."""
    context = found if isinstance(found := msg.get("context"), dict) else {}
    stmt = (
        insert_ignoring(_messages, "wamid")
        .values(
            client_id=client_id,
            contact_id=contact_id,
            number_id=number_id,
            conversation_id=conversation_id,
            direction=Direction.IN,
            author=Author.CONTACT,
            type=str(msg.get("type") or "unknown")[:20],
            body=readable_body(msg),
            payload=msg,
            wamid=str(msg["id"])[:128],
            context_wamid=str(context["id"])[:128] if context.get("id") else None,
            media_id=media_id_of(msg),
            status=MessageStatus.RECEIVED,
        )
        .returning(_messages.c.id)
    )
    return db.session.execute(stmt).scalar()


def touch_conversation(conversation_id: int, at: datetime, preview: str) -> None:
    """Unread +1 and last-message fields, atomically; an older message keeps the preview.

    The contact wrote, so the conversation is open: a RESOLVED one reopens (back in
    "Abertas", unread) and is assigned as a new conversation is, i.e. it goes back to the
    team queue (no assignee: a first conversation starts unassigned too) rather than to
    whoever resolved it, who may no longer be on duty. One conditional UPDATE, so two
    messages arriving at once reopen it once. The 24 h window (``last_inbound_at``) is
    this number's.
    """
    c = _conversations.c
    is_newest = sa.or_(
        c.last_message_at.is_(None), c.last_message_at <= sa.literal(at, c.last_message_at.type)
    )
    was_resolved = c.status == CONVERSATION_RESOLVED
    starts_cycle = sa.or_(was_resolved, c.opened_at.is_(None))
    db.session.execute(
        sa.update(_conversations)
        .where(c.id == conversation_id)
        .values(
            status=CONVERSATION_OPEN,
            assigned_user_id=sa.case((was_resolved, sa.null()), else_=c.assigned_user_id),
            resolved_at=sa.case((was_resolved, sa.null()), else_=c.resolved_at),
            # A new open cycle starts here (first message, or a resolved one reopens);
            # a snoozed conversation wakes up when the customer writes.
            opened_at=sa.case((starts_cycle, sa.literal(at, c.opened_at.type)), else_=c.opened_at),
            first_response_at=sa.case((starts_cycle, sa.null()), else_=c.first_response_at),
            snoozed_until=sa.null(),
            unread_count=c.unread_count + 1,
            last_inbound_at=latest(c.last_inbound_at, at),
            last_message_at=latest(c.last_message_at, at),
            last_message_preview=sa.case(
                (is_newest, preview[:PREVIEW_LENGTH]), else_=c.last_message_preview
            ),
            updated_at=utcnow(),
        )
    )


# --------------------------------------------------------------------------- ingest
def _malformed(msg: object, why: str) -> None:
    ident = msg.get("id") if isinstance(msg, dict) else None
    log.warning("webhook: inbound message %r not stored: %s", ident, why)


def ingest_messages(client_id: int, value: dict) -> Ingested:
    """Contacts and messages of one change value: the new messages and the malformed."""
    result = Ingested()
    messages = value.get("messages") or []
    if not messages:
        return result
    metadata = found if isinstance(found := value.get("metadata"), dict) else {}
    number = number_of(client_id, metadata.get("phone_number_id"))
    if number is None:  # routed by this number, so it exists; a race with its removal
        raise PayloadError(_("número %(id)s não encontrado", id=metadata.get("phone_number_id")))
    for msg in messages:
        if not isinstance(msg, dict) or not msg.get("id"):
            result.malformed += 1
            _malformed(msg, "sem id")
            continue
        system = found if isinstance(found := msg.get("system"), dict) else {}
        identity_change = msg.get("type") == "system" and system.get("type") in (
            IDENTITY_SYSTEM_TYPES
        )
        seen = sender_of(msg, value, entry_phone=not identity_change)
        try:
            contact_id = resolve_contact(client_id, number.waba_id, seen)
        except IdentityError as exc:
            result.malformed += 1
            _malformed(msg, str(exc))
            continue
        if identity_change:
            apply_system_message(client_id, number.id, number.waba_id, contact_id, msg)
            continue
        item = _store(client_id, number, contact_id, msg)
        if item is not None:
            result.received.append(item)
    return result


def conversation_id_of(client_id: int, contact_id: int, number_id: int) -> int:
    """The (contact, number) conversation's id: one read when it exists (the usual case),
    else the race-free get-or-create."""
    c = _conversations.c
    found = db.session.execute(
        sa.select(c.id).where(c.contact_id == contact_id, c.number_id == number_id)
    ).scalar()
    if found is not None:
        return int(found)
    return get_or_create_conversation(client_id, contact_id, number_id).id


def _store(client_id: int, number: Number, contact_id: int, msg: dict) -> Received | None:
    conversation_id = conversation_id_of(client_id, contact_id, number.id)
    message_id = insert_message(
        client_id, contact_id, msg, number_id=number.id, conversation_id=conversation_id
    )
    if message_id is None:
        return None
    touch_conversation(conversation_id, to_datetime(msg.get("timestamp")), readable_body(msg))
    return Received(client_id, message_id, contact_id, conversation_id, number.id)


def ingest_user_id_updates(client_id: int, waba_id: str, value: dict) -> int:
    """The ``user_id_update`` field: each entry moves a user's identity; returns how many
    entries changed something."""
    metadata = found if isinstance(found := value.get("metadata"), dict) else {}
    number = number_of(client_id, metadata.get("phone_number_id"))
    changed = 0
    for item in value.get("user_id_update") or []:
        if isinstance(item, dict) and apply_user_id_update(
            client_id, waba_id, item, number_id=number.id if number else None
        ):
            changed += 1
    return changed
