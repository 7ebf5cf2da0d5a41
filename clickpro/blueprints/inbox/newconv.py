"""“Nova conversa” and interactive messages (JSON under /inbox/api), on the ``inbox``
blueprint. Errors are the /api/v1 error body (400 refused, 404 another client's row)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import jsonify, request
from flask_login import current_user
from pydantic import Field, StringConstraints

from clickpro import params
from clickpro.blueprints.api.schemas import Id, Strict
from clickpro.blueprints.api.schemas_messaging import Variables
from clickpro.blueprints.errors import parse_json_body
from clickpro.blueprints.inbox.routes import bp
from clickpro.guards import client_required
from clickpro.services.contacts.display import format_phone
from clickpro.services.contacts.optout import is_contact_opted_out
from clickpro.services.contacts.service import ContactFilters, search_contacts
from clickpro.services.conversations import get_conversation as find_conversation
from clickpro.services.inbox import interactive as inter
from clickpro.services.inbox import new_conversation as newconv
from clickpro.services.inbox import serialize as ser
from clickpro.services.messaging.outbound import window_open
from clickpro.tenancy import require_client


class NewConversationIn(Strict):
    number_id: Id
    contact_id: Id | None = None
    phone: str | None = Field(default=None, max_length=40)
    bsuid: str | None = Field(default=None, max_length=200)
    name: str = Field(default="", max_length=200)
    text: str | None = Field(default=None, max_length=4096)
    template_id: Id | None = None
    values: Variables = Field(default_factory=Variables)


class RowIn(Strict):
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=500)


class SectionIn(Strict):
    title: str | None = Field(default=None, max_length=200)
    rows: list[RowIn] = Field(max_length=50)


class InteractiveIn(Strict):
    kind: Literal["buttons", "list"]
    body: str = Field(max_length=5000)
    header: str | None = Field(default=None, max_length=200)
    footer: str | None = Field(default=None, max_length=200)
    buttons: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=list, max_length=10
    )
    button: str | None = Field(default=None, max_length=200)
    sections: list[SectionIn] = Field(default_factory=list, max_length=20)


def _contact_json(contact, opted_out: bool) -> dict[str, Any]:
    name = contact.name or ""
    return {
        "id": contact.id,
        "name": name,
        "first_name": name.split()[0] if name.split() else "",
        "phone": contact.phone_e164,
        "phone_display": format_phone(contact.phone_e164) if contact.phone_e164 else "",
        "bsuid": contact.bsuid,
        "username": contact.username,
        "opted_out": opted_out,
    }


@bp.get("/api/new-conversation/contacts")
@client_required
def new_conversation_contacts():
    """Contacts matching ``q`` (name, @username, phone digits, BSUID) for the picker."""
    client = require_client()
    page = search_contacts(client.id, ContactFilters(q=request.args.get("q", "")[:100]), limit=8)
    return jsonify(items=[_contact_json(c, c.id in page.opted_out_ids) for c in page.items])


@bp.get("/api/new-conversation/state")
@client_required
def new_conversation_state():
    """For a contact on a number: its conversation (if any) and whether the 24 h window is
    open, plus the contact's fields for the template variables."""
    client = require_client()
    number_id = params.arg_int("number_id", maximum=params.MAX_ID)
    contact_id = params.arg_int("contact_id", maximum=params.MAX_ID)
    contact, _created = newconv.find_or_create_contact(client.id, contact_id=contact_id or 0)
    number = newconv.number_of(client.id, number_id)
    conv = newconv.existing_conversation(client.id, contact.id, number.id)
    return jsonify(
        contact=_contact_json(contact, is_contact_opted_out(contact)),
        conversation_id=conv.id if conv else None,
        window_open=bool(conv and window_open(conv)),
    )


@bp.post("/api/new-conversation")
@client_required
def new_conversation():
    data: NewConversationIn = parse_json_body(NewConversationIn)
    started = newconv.start_conversation(
        require_client().id,
        current_user.id,
        number_id=data.number_id,
        contact_id=data.contact_id,
        phone=data.phone,
        bsuid=data.bsuid,
        name=data.name,
        text=data.text,
        template_id=data.template_id,
        values=data.values.model_dump(exclude_none=True),
    )
    conv = find_conversation(started.conversation.client_id, started.conversation.id)
    return jsonify(
        conversation_id=started.conversation.id,
        url=f"/inbox/c/{started.conversation.id}",
        created_contact=started.created_contact,
        message=ser.message(started.message),
        window_open=bool(conv and window_open(conv)),
    ), 201


@bp.post("/api/conversations/<int:conversation_id>/interactive")
@client_required
def send_interactive(conversation_id: int):
    data: InteractiveIn = parse_json_body(InteractiveIn)
    message = inter.reply_interactive(
        require_client().id, conversation_id, current_user.id, data.model_dump()
    )
    return jsonify(message=ser.message(message)), 201
