"""The live ``message:new`` of an inbound message (#24): the message, its contact,
conversation and number are read in one query, so the emit costs 3 statements (that
query, the contact's labels, its opt-out) instead of 8 — with the very payload the
general serializers build, and still only for the message's own client."""

from __future__ import annotations

import sqlalchemy as sa
from webhook_helpers import encode, inbound, recorded_statements

from clickpro.extensions import db
from clickpro.models import Contact, ContactLabel, Conversation, Label, Message, OptOut
from clickpro.services.inbox import events as inbox_events
from clickpro.services.inbox import serialize as ser
from clickpro.services.webhook.ingest import process_events, store_event


def _inbound_message(phone: str) -> Message:
    event_id = store_event(encode(inbound(phone)))
    assert event_id and process_events([event_id]) == 1
    return db.session.scalars(sa.select(Message).order_by(Message.id.desc())).first()


def _captured(monkeypatch) -> list[tuple[int, str, dict]]:
    emitted: list[tuple[int, str, dict]] = []
    monkeypatch.setattr(inbox_events, "emit_to_client", lambda c, e, d: emitted.append((c, e, d)))
    return emitted


def test_message_new_is_three_statements_and_the_general_shape(shop, create_client, monkeypatch):
    message = _inbound_message("5511955550001")
    contact = db.session.get(Contact, message.contact_id)
    label = Label(client_id=shop.id, name="VIP", color="success")
    db.session.add(label)
    db.session.flush()
    db.session.add(ContactLabel(contact_id=contact.id, label_id=label.id))
    db.session.add(OptOut(client_id=shop.id, phone_e164=contact.phone_e164))
    db.session.commit()
    message_id, client_id = message.id, shop.id
    db.session.remove()
    expected_message = ser.messages([db.session.get(Message, message_id)])[0]
    conversation = db.session.get(Conversation, expected_message["conversation_id"])
    expected_conversation = ser.conversation(conversation)
    db.session.remove()

    emitted = _captured(monkeypatch)
    with recorded_statements() as statements:
        inbox_events.publish_message(client_id, message_id)
    assert len(statements) == 3, statements
    [(to, event, data)] = emitted
    assert (to, event) == (client_id, "message:new")
    assert data["message"] == expected_message
    assert data["conversation"] == expected_conversation
    assert data["conversation"]["labels"][0]["name"] == "VIP"  # the shape kept its joins
    assert data["conversation"]["opted_out"] is True


def test_message_new_is_only_for_its_own_client(shop, create_client, monkeypatch):
    message = _inbound_message("5511955550002")
    other_id = create_client("Outra Loja").id
    message_id = message.id
    db.session.remove()
    emitted = _captured(monkeypatch)
    inbox_events.publish_message(other_id, message_id)
    assert emitted == []
