"""Inbound messages of a ``messages`` webhook change: contacts upsert and message insert.

Core SQL only (no ORM objects): a webhook batch may carry many messages and several
workers may ingest the same contact at once, so every write is an idempotent
``INSERT … ON CONFLICT DO NOTHING`` or an atomic conditional ``UPDATE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import Author, Contact, Direction, Message, MessageStatus
from clickpro.models.base import utcnow
from clickpro.services.contacts.phones import InvalidPhone, brazil_variants, wa_id_to_e164
from clickpro.services.messaging.delivery import to_datetime
from clickpro.services.webhook.bodies import media_id_of, readable_body
from clickpro.services.webhook.sql import insert_ignoring, latest

_contacts = Contact.__table__
_messages = Message.__table__
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


def _profile_names(value: dict) -> dict[str, str]:
    names: dict[str, str] = {}
    for item in value.get("contacts") or []:
        if isinstance(item, dict) and item.get("wa_id"):
            profile = found if isinstance(found := item.get("profile"), dict) else {}
            names[str(item["wa_id"])] = str(profile.get("name") or "").strip()
    return names


def upsert_contact(client_id: int, wa_id: str, profile_name: str = "") -> int:
    """The contact of ``wa_id`` (either Brazilian form), created if new; returns its id.

    ``wa_id`` is stored as Meta sends it (that is what we must send to); the phone is
    kept in canonical E.164. A name the client typed is never replaced, and an empty
    profile name never clears anything.
    """
    try:
        e164 = wa_id_to_e164(wa_id)
    except InvalidPhone as exc:
        raise PayloadError(_("wa_id inválido: %(wa_id)r", wa_id=wa_id)) from exc
    variants = brazil_variants(e164)
    c = _contacts.c
    row = _find_contact(client_id, wa_id, variants)
    if row is None:
        inserted = db.session.execute(
            insert_ignoring(_contacts, "client_id", "phone_e164")
            .values(
                client_id=client_id, phone_e164=variants[0], wa_id=wa_id, name=profile_name[:200]
            )
            .returning(c.id)
        ).scalar()
        if inserted is not None:
            return inserted
        row = _find_contact(client_id, wa_id, variants)  # created concurrently
        if row is None:  # pragma: no cover - conflict on a row we cannot see
            raise PayloadError(_("contato %(wa_id)s não encontrado após conflito", wa_id=wa_id))
    updates: dict[str, Any] = {}
    if row.wa_id != wa_id:
        updates["wa_id"] = wa_id
    if profile_name and not (row.name or "").strip():
        updates["name"] = profile_name[:200]
    if updates:
        db.session.execute(sa.update(_contacts).where(c.id == row.id).values(**updates))
    return row.id


def _find_contact(client_id: int, wa_id: str, variants: list[str]):
    c = _contacts.c
    stmt = (
        sa.select(c.id, c.wa_id, c.name, c.phone_e164)
        .where(c.client_id == client_id, sa.or_(c.phone_e164.in_(variants), c.wa_id == wa_id))
        .order_by(sa.case((c.phone_e164 == variants[0], 0), else_=1), c.id)
        .limit(1)
    )
    return db.session.execute(stmt).first()


def insert_message(client_id: int, contact_id: int, msg: dict) -> int | None:
    """Store one inbound message; None when its wamid is already stored (a redelivery)."""
    context = found if isinstance(found := msg.get("context"), dict) else {}
    stmt = (
        insert_ignoring(_messages, "wamid")
        .values(
            client_id=client_id,
            contact_id=contact_id,
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


def touch_conversation(contact_id: int, at: datetime, preview: str) -> None:
    """Unread +1 and last-message fields, atomically; an older message keeps the preview.

    The contact wrote, so the conversation is open: a RESOLVED one reopens (back in
    "Abertas", unread) and is assigned as a new conversation is, i.e. it goes back to the
    team queue (no assignee: a first conversation starts unassigned too) rather than to
    whoever resolved it, who may no longer be on duty. One conditional UPDATE, so two
    messages arriving at once reopen it once.
    """
    c = _contacts.c
    is_newest = sa.or_(
        c.last_message_at.is_(None), c.last_message_at <= sa.literal(at, c.last_message_at.type)
    )
    was_resolved = c.conversation_status == CONVERSATION_RESOLVED
    db.session.execute(
        sa.update(_contacts)
        .where(c.id == contact_id)
        .values(
            conversation_status=CONVERSATION_OPEN,
            assigned_user_id=sa.case((was_resolved, sa.null()), else_=c.assigned_user_id),
            unread_count=c.unread_count + 1,
            last_inbound_at=latest(c.last_inbound_at, at),
            last_message_at=latest(c.last_message_at, at),
            last_message_preview=sa.case(
                (is_newest, preview[:PREVIEW_LENGTH]), else_=c.last_message_preview
            ),
            updated_at=utcnow(),
        )
    )


def ingest_messages(client_id: int, value: dict) -> list[Received]:
    """Contacts and messages of one change value; returns the newly stored messages."""
    names = _profile_names(value)
    received: list[Received] = []
    for msg in value.get("messages") or []:
        if not isinstance(msg, dict) or not msg.get("id") or not msg.get("from"):
            raise PayloadError(_("mensagem sem 'id' ou 'from'"))
        wa_id = str(msg["from"])
        contact_id = upsert_contact(client_id, wa_id, names.get(wa_id, ""))
        message_id = insert_message(client_id, contact_id, msg)
        if message_id is None:
            continue
        body = readable_body(msg)
        touch_conversation(contact_id, to_datetime(msg.get("timestamp")), body)
        received.append(Received(client_id, message_id, contact_id))
    return received
