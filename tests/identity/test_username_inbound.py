"""A username user (BSUID, no phone in the webhook) reaches the inbox like anyone else."""

from __future__ import annotations

import sqlalchemy as sa
from identity_helpers import WABA_ID, customer_message, post

from clickpro.extensions import db
from clickpro.models import Contact, ContactIdentity, Conversation, Message, WebhookEvent

BSUID = "BR.1502576394655843"


def _all(model):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(model).order_by(model.id)))


def test_username_only_message_creates_contact_by_bsuid_with_conversation(client, shop, received):
    post(client, customer_message(bsuid=BSUID, username="lojadamaria", name="Maria Lima"))
    (contact,) = _all(Contact)
    assert contact.phone_e164 is None and contact.wa_id is None
    assert (contact.bsuid, contact.username, contact.name) == (BSUID, "lojadamaria", "Maria Lima")
    (identity,) = _all(ContactIdentity)
    assert (identity.contact_id, identity.kind, identity.waba_id, identity.value) == (
        contact.id,
        "bsuid",
        WABA_ID,
        BSUID,
    )
    assert identity.replaced_at is None
    (conversation,) = _all(Conversation)
    assert (conversation.contact_id, conversation.number_id) == (contact.id, shop.credential.id)
    assert (conversation.status, conversation.unread_count) == ("OPEN", 1)
    assert conversation.last_message_preview == "Tem em outra cor?"
    assert conversation.last_inbound_at is not None
    (message,) = _all(Message)
    assert (message.contact_id, message.conversation_id, message.number_id) == (
        contact.id,
        conversation.id,
        shop.credential.id,
    )
    assert message.direction == "IN" and message.body == "Tem em outra cor?"
    # The signals (AI, opt-out keywords, inbox, outbound webhooks) hear it like any other.
    assert received == [
        {
            "client_id": shop.id,
            "message_id": message.id,
            "contact_id": contact.id,
            "conversation_id": conversation.id,
            "number_id": shop.credential.id,
        }
    ]
    (event,) = _all(WebhookEvent)
    assert event.processed_at is not None and event.error is None and event.malformed == 0


def test_next_messages_find_the_contact_by_bsuid_and_keep_the_username_as_sent(
    client, shop, received
):
    post(client, customer_message(bsuid=BSUID, username="@lojadamaria"))
    post(client, customer_message(bsuid=BSUID, username="@lojadamaria", text="Oi de novo"))
    (contact,) = _all(Contact)
    assert contact.username == "@lojadamaria"  # stored exactly as received
    post(client, customer_message(bsuid=BSUID, username="lojadamaria2", text="Mudei o nome"))
    (contact,) = _all(Contact)
    assert contact.username == "lojadamaria2"  # a new username, same BSUID: same person
    (conversation,) = _all(Conversation)
    assert conversation.unread_count == 3 and conversation.last_message_preview == "Mudei o nome"
    assert len(_all(Message)) == 3 and len(received) == 3


def test_parent_bsuid_is_recorded(client, shop):
    post(client, customer_message(bsuid=BSUID, parent="BR.ENT.11815799212886844830"))
    (contact,) = _all(Contact)
    assert contact.parent_bsuid == "BR.ENT.11815799212886844830"
    kinds = {(i.kind, i.waba_id, i.value) for i in _all(ContactIdentity)}
    assert kinds == {
        ("bsuid", WABA_ID, BSUID),
        ("parent_bsuid", "", "BR.ENT.11815799212886844830"),
    }


def test_resolved_conversation_reopens_for_a_username_user(client, shop):
    post(client, customer_message(bsuid=BSUID))
    (conversation,) = _all(Conversation)
    conversation.status = "RESOLVED"
    conversation.unread_count = 0
    db.session.commit()
    post(client, customer_message(bsuid=BSUID, text="Voltei"))
    (conversation,) = _all(Conversation)
    assert (conversation.status, conversation.unread_count, conversation.assigned_user_id) == (
        "OPEN",
        1,
        None,
    )


def test_a_redelivered_username_message_is_stored_once(client, shop, received):
    payload = customer_message(bsuid=BSUID, wamid="wamid.SAME-USERNAME")
    post(client, payload)
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "1780000009"
    post(client, payload)  # another body (another event), same wamid
    assert len(_all(Message)) == 1 and len(received) == 1
    (conversation,) = _all(Conversation)
    assert conversation.unread_count == 1
