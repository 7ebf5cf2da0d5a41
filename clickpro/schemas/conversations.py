"""The conversation shape: one contact on one of the client's numbers, seen as a chat
(API, inbox JSON, Socket.IO)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, Field

from clickpro.extensions import db
from clickpro.models import Contact, ContactLabel, Conversation, Label, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.schemas.loaders import opted_out_contact_ids, user_names
from clickpro.services.contacts.display import contact_label
from clickpro.services.messaging.outbound import WINDOW


class LabelRef(BaseModel):
    id: int
    name: str
    color: str


class ListRef(BaseModel):
    id: int
    name: str


class ConversationOut(BaseModel):
    id: int = Field(description="The conversation's id (one per contact per number).")
    contact_id: int
    number_id: int = Field(description="The client's WhatsApp number the customer wrote to.")
    phone_number_id: str = Field(description="Meta's phone number id of that number.")
    number_name: str = Field(description="The number's display name (or its phone).")
    phone: str | None = Field(description="The contact's number (E.164); null for a "
                              "WhatsApp username user known only by BSUID.")  # fmt: skip
    bsuid: str | None = Field(description="Business-scoped user id (e.g. BR.1502576394655843).")
    parent_bsuid: str | None
    username: str | None = Field(description="The customer's WhatsApp username, if any.")
    name: str
    contact_label: str = Field(description="How the contact is shown: phone, @username, or "
                               "'Usuário do WhatsApp · <id>'.")  # fmt: skip
    status: str = Field(description="OPEN or RESOLVED.")
    unread_count: int
    assigned_user_id: int | None
    assigned_name: str | None
    ai_paused: bool = Field(description="True: a person answers, the AI stays quiet.")
    window_open: bool = Field(description="The contact wrote to this number in the last 24 h.")
    window_closes_at: datetime | None
    last_inbound_at: datetime | None
    last_message_at: datetime | None
    last_message_preview: str | None
    opted_out: bool
    labels: list[LabelRef] = Field(description="The contact's labels (shared by its "
                                   "conversations).")  # fmt: skip
    team_id: int | None = None
    team_name: str | None = None
    priority: int = Field(0, description="0 normal; 1 or more: urgent (listed first).")
    first_response_at: datetime | None = None
    first_response_due_at: datetime | None = Field(None, description="SLA instant of "
                                                   "the first reply (team target).")  # fmt: skip
    resolution_due_at: datetime | None = None
    snoozed_until: datetime | None = Field(default=None, description="SNOOZED: when it reopens.")


class ConversationDetail(ConversationOut):
    """The open conversation in the inbox: plus the contact's fields and lists."""

    attributes: dict[str, str]
    lists: list[ListRef]


def number_label(number: WhatsAppCredential | None) -> str:
    """A number as agents know it: its display name, else Meta's names for it."""
    if number is None:
        return ""
    return (
        (number.display_name or "").strip()
        or (number.verified_name or "").strip()
        or (number.display_phone_number or "").strip()
        or number.phone_number_id
    )


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


def _by_id(model, ids: Iterable[int]) -> dict:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(wanted)))}


def _shape(
    conv: Conversation,
    contact: Contact,
    number: WhatsAppCredential | None,
    labels: list[LabelRef],
    opted_out: bool,
    names: dict[int, str],
    team_names: dict[int, str] | None = None,
) -> ConversationOut:
    # The 24 h customer-service window is per number: this conversation's last inbound.
    is_open = conv.last_inbound_at is not None and utcnow() - conv.last_inbound_at < WINDOW
    closes = conv.last_inbound_at + WINDOW if conv.last_inbound_at and is_open else None
    return ConversationOut(
        snoozed_until=conv.snoozed_until,
        id=conv.id,
        contact_id=contact.id,
        number_id=conv.number_id,
        phone_number_id=number.phone_number_id if number else "",
        number_name=number_label(number),
        phone=contact.phone_e164,
        bsuid=contact.bsuid,
        parent_bsuid=contact.parent_bsuid,
        username=contact.username,
        name=contact.name or "",
        contact_label=contact_label(contact),
        status=conv.status,
        unread_count=conv.unread_count or 0,
        assigned_user_id=conv.assigned_user_id,
        assigned_name=names.get(conv.assigned_user_id) if conv.assigned_user_id else None,
        ai_paused=bool(conv.ai_paused),
        window_open=is_open,
        window_closes_at=closes,
        last_inbound_at=conv.last_inbound_at,
        last_message_at=conv.last_message_at,
        last_message_preview=conv.last_message_preview,
        opted_out=opted_out,
        labels=labels,
        team_id=conv.team_id,
        team_name=(team_names or {}).get(conv.team_id) if conv.team_id else None,
        priority=conv.priority or 0,
        first_response_at=conv.first_response_at,
        first_response_due_at=conv.first_response_due_at,
        resolution_due_at=conv.resolution_due_at,
    )


def conversation_shapes(
    conversations: Sequence[Conversation],
    *,
    contacts: Mapping[int, Contact] | None = None,
    numbers: Mapping[int, WhatsAppCredential] | None = None,
) -> list[ConversationOut]:
    """Rows for a page of one client's conversations: 5 queries whatever the page size
    (contacts, numbers, labels, opt-outs, assignees); ``contacts`` / ``numbers`` (by id,
    every row's) skip those two when the caller already loaded them."""
    if not conversations:
        return []
    if contacts is None:
        contacts = _by_id(Contact, (c.contact_id for c in conversations))
    if numbers is None:
        numbers = _by_id(WhatsAppCredential, (c.number_id for c in conversations))
    labels = _labels_of(list(contacts))
    opted = opted_out_contact_ids(conversations[0].client_id, list(contacts.values()))
    names = user_names(c.assigned_user_id for c in conversations)
    teams = _team_names(c.team_id for c in conversations if c.team_id)
    return [
        _shape(
            c,
            contacts[c.contact_id],
            numbers.get(c.number_id),
            labels[c.contact_id],
            c.contact_id in opted,
            names,
            teams,
        )
        for c in conversations
    ]


def _team_names(ids: Iterable[int]) -> dict[int, str]:
    from clickpro.models.teams import Team

    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(wanted)))
    return {tid: name for tid, name in rows}


def conversation_shape(conversation: Conversation) -> ConversationOut:
    return conversation_shapes([conversation])[0]


def conversation_detail(
    conversation: Conversation, contact: Contact, lists: Sequence[tuple[int, str]]
) -> ConversationDetail:
    """The inbox's open conversation; ``lists`` are the contact's (id, name) pairs."""
    base = conversation_shape(conversation)
    return ConversationDetail(
        **base.model_dump(),
        attributes={str(k): str(v) for k, v in (contact.attributes or {}).items()},
        lists=[ListRef(id=lid, name=name) for lid, name in lists],
    )
