"""The conversation shape: a contact seen as a chat (API, inbox JSON, Socket.IO)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, Field

from clickpro.extensions import db
from clickpro.models import Contact, ContactLabel, Label
from clickpro.schemas.loaders import opted_out_phones, user_names
from clickpro.services.messaging.outbound import WINDOW, window_open


class LabelRef(BaseModel):
    id: int
    name: str
    color: str


class ListRef(BaseModel):
    id: int
    name: str


class ConversationOut(BaseModel):
    id: int = Field(description="The contact's id (a conversation is per contact).")
    contact_id: int
    phone: str
    name: str
    status: str = Field(description="OPEN or RESOLVED.")
    unread_count: int
    assigned_user_id: int | None
    assigned_name: str | None
    ai_paused: bool = Field(description="True: a person answers, the AI stays quiet.")
    window_open: bool = Field(description="The contact wrote within the last 24 hours.")
    window_closes_at: datetime | None
    last_inbound_at: datetime | None
    last_message_at: datetime | None
    last_message_preview: str | None
    opted_out: bool
    labels: list[LabelRef]


class ConversationDetail(ConversationOut):
    """The open conversation in the inbox: plus the contact's fields and lists."""

    attributes: dict[str, str]
    lists: list[ListRef]


def _labels_of(contact_ids: list[int]) -> dict[int, list[LabelRef]]:
    result: dict[int, list[LabelRef]] = {cid: [] for cid in contact_ids}
    if not contact_ids:
        return result
    rows = db.session.execute(
        sa.select(ContactLabel.contact_id, Label.id, Label.name, Label.color)
        .join(Label, Label.id == ContactLabel.label_id)
        .where(ContactLabel.contact_id.in_(contact_ids))
        .order_by(Label.name)
    )
    for cid, lid, name, color in rows:
        result[cid].append(LabelRef(id=lid, name=name, color=color))
    return result


def _shape(
    contact: Contact, labels: list[LabelRef], opted_out: bool, names: dict[int, str]
) -> ConversationOut:
    is_open = window_open(contact)
    closes = contact.last_inbound_at + WINDOW if contact.last_inbound_at and is_open else None
    return ConversationOut(
        id=contact.id,
        contact_id=contact.id,
        phone=contact.phone_e164,
        name=contact.name or "",
        status=contact.conversation_status,
        unread_count=contact.unread_count or 0,
        assigned_user_id=contact.assigned_user_id,
        assigned_name=names.get(contact.assigned_user_id) if contact.assigned_user_id else None,
        ai_paused=bool(contact.ai_paused),
        window_open=is_open,
        window_closes_at=closes,
        last_inbound_at=contact.last_inbound_at,
        last_message_at=contact.last_message_at,
        last_message_preview=contact.last_message_preview,
        opted_out=opted_out,
        labels=labels,
    )


def conversation_shapes(contacts: Sequence[Contact]) -> list[ConversationOut]:
    """Rows for a page of one client's contacts: 3 queries (labels, opt-outs, assignees)."""
    if not contacts:
        return []
    labels = _labels_of([c.id for c in contacts])
    opted = opted_out_phones(contacts[0].client_id, (c.phone_e164 for c in contacts))
    names = user_names(c.assigned_user_id for c in contacts)
    return [_shape(c, labels[c.id], c.phone_e164 in opted, names) for c in contacts]


def conversation_shape(contact: Contact) -> ConversationOut:
    return conversation_shapes([contact])[0]


def conversation_detail(contact: Contact, lists: Sequence[tuple[int, str]]) -> ConversationDetail:
    """The inbox's open conversation; ``lists`` are the contact's (id, name) pairs."""
    base = conversation_shape(contact)
    return ConversationDetail(
        **base.model_dump(),
        attributes={str(k): str(v) for k, v in (contact.attributes or {}).items()},
        lists=[ListRef(id=lid, name=name) for lid, name in lists],
    )
