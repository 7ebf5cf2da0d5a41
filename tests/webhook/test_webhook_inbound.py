"""Inbound messages: every type, contacts (Brazilian 8/9-digit forms), conversation fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from webhook_helpers import inbound, messages_payload, new_wamid, post

from clickpro.extensions import db
from clickpro.models import Contact, Conversation, Message

TYPES = json.loads((Path(__file__).parent / "inbound_types.json").read_text())


def _messages() -> list[Message]:
    return list(db.session.scalars(sa.select(Message).order_by(Message.id)))


def _conversation(contact: Contact) -> Conversation:
    """The contact's one conversation (on the shop's number): the inbox state lives there."""
    db.session.expire_all()
    (conversation,) = db.session.scalars(
        sa.select(Conversation).where(Conversation.contact_id == contact.id)
    ).all()
    return conversation


@pytest.mark.parametrize("case", sorted(TYPES))
def test_every_message_type_is_stored_readably(client, shop, case):
    fixture = TYPES[case]
    wamid = new_wamid()
    assert (
        post(client, inbound("5511987654321", fixture["message"], wamid=wamid)).status_code == 200
    )
    (message,) = _messages()
    assert message.body == fixture["body"]
    assert message.type == fixture["message"]["type"]
    assert (
        message.direction == "IN" and message.author == "CONTACT" and message.status == "RECEIVED"
    )
    assert message.wamid == wamid and message.client_id == shop.id
    assert message.media_id == fixture.get("media_id")
    assert message.context_wamid == fixture.get("context_wamid")
    for key, value in fixture["message"].items():  # the payload is kept as Meta sent it
        assert message.payload[key] == value


def test_unknown_message_type_is_kept_readable(client, shop):
    msg = {"type": "hologram", "hologram": {"id": "1"}}
    assert post(client, inbound("5511987654321", msg)).status_code == 200
    (message,) = _messages()
    assert "hologram" in message.body


def test_new_contact_gets_profile_name_and_conversation_fields(client, shop, spy):
    received = spy("message_received")
    ts = 1732400000
    assert (
        post(client, inbound("5511987654321", name="Maria Souza", timestamp=ts)).status_code == 200
    )
    contact = db.session.scalar(sa.select(Contact))
    assert contact.phone_e164 == "+5511987654321" and contact.wa_id == "5511987654321"
    assert contact.name == "Maria Souza" and contact.client_id == shop.id
    conversation = _conversation(contact)
    assert conversation.number_id == shop.credential.id and conversation.status == "OPEN"
    assert conversation.unread_count == 1
    assert conversation.last_inbound_at == datetime.fromtimestamp(ts, UTC)
    assert conversation.last_message_at == datetime.fromtimestamp(ts, UTC)
    assert conversation.last_message_preview == "Quero saber mais"
    (message,) = _messages()
    assert (message.number_id, message.conversation_id) == (shop.credential.id, conversation.id)
    assert received.calls == [
        {
            "client_id": shop.id,
            "message_id": message.id,
            "contact_id": contact.id,
            "conversation_id": conversation.id,
            "number_id": shop.credential.id,
        }
    ]


def test_typed_name_is_kept_and_empty_profile_never_clears(client, shop, create_contact):
    typed = create_contact(shop, "+5511987654321", name="Maria (cliente VIP)")
    post(client, inbound("5511987654321", name="Mah"))
    post(client, inbound("5511987654321", name=""))
    db.session.refresh(typed)
    assert typed.name == "Maria (cliente VIP)"
    unnamed = create_contact(shop, "+5521987654321", name="")
    post(client, inbound("5521987654321", name=""))
    post(client, inbound("5521987654321", name="Carla"))
    db.session.refresh(unnamed)
    assert unnamed.name == "Carla"


def test_brazilian_8_and_9_digit_forms_reach_the_same_contact(client, shop, create_contact):
    stored = create_contact(shop, "+5511987654321", name="Ana", wa_id="5511987654321")
    post(client, inbound("551187654321", {"type": "text", "text": {"body": "sem o nove"}}))
    post(client, inbound("5511987654321", {"type": "text", "text": {"body": "com o nove"}}))
    contacts = db.session.scalars(sa.select(Contact)).all()
    assert [c.id for c in contacts] == [stored.id]
    assert {m.contact_id for m in _messages()} == {stored.id}
    db.session.refresh(stored)
    assert _conversation(stored).unread_count == 2
    assert stored.wa_id == "5511987654321"  # as Meta sent it last


def test_8_digit_wa_id_creates_canonical_contact_then_matches(client, shop):
    post(client, inbound("551187654321"))
    contact = db.session.scalar(sa.select(Contact))
    assert contact.phone_e164 == "+5511987654321" and contact.wa_id == "551187654321"
    post(client, inbound("5511987654321"))
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 1


def test_contacts_are_per_client(client, shop, create_client, create_contact):
    other = create_client("Outra loja")
    foreign = create_contact(other, "+5511987654321")
    post(client, inbound("5511987654321"))
    mine = db.session.scalar(sa.select(Contact).where(Contact.client_id == shop.id))
    assert mine is not None and mine.id != foreign.id


def test_older_message_does_not_replace_preview(client, shop):
    post(
        client,
        inbound("5511987654321", {"type": "text", "text": {"body": "nova"}}, timestamp=2000000000),
    )
    post(
        client,
        inbound(
            "5511987654321", {"type": "text", "text": {"body": "antiga"}}, timestamp=1900000000
        ),
    )
    conversation = _conversation(db.session.scalar(sa.select(Contact)))
    assert conversation.last_message_preview == "nova" and conversation.unread_count == 2
    assert conversation.last_inbound_at == datetime.fromtimestamp(2000000000, UTC)


def test_batch_with_several_messages_and_contacts(client, shop, spy):
    received = spy("message_received")
    value = {
        "contacts": [
            {"profile": {"name": "A"}, "wa_id": "5511911112222"},
            {"profile": {"name": "B"}, "wa_id": "5511933334444"},
        ],
        "messages": [
            {
                "from": "5511911112222",
                "id": new_wamid(),
                "timestamp": "1732400000",
                "type": "text",
                "text": {"body": "1"},
            },
            {
                "from": "5511933334444",
                "id": new_wamid(),
                "timestamp": "1732400001",
                "type": "text",
                "text": {"body": "2"},
            },
            {
                "from": "5511911112222",
                "id": new_wamid(),
                "timestamp": "1732400002",
                "type": "text",
                "text": {"body": "3"},
            },
        ],
    }
    assert post(client, messages_payload(value)).status_code == 200
    names = {c.name: _conversation(c).unread_count for c in db.session.scalars(sa.select(Contact))}
    assert names == {"A": 2, "B": 1}
    assert len(received.calls) == 3
