"""Domain signals → Socket.IO events of the ``/inbox`` namespace.

Registered in ``clickpro.receivers.CORE_RECEIVERS``. They run in whatever process sent
the signal (web request, webhook, RQ worker); ``emit_to_client`` goes through the Redis
message queue when one is configured, so the browser's server process delivers it.

Events (room ``client:<id>``; a user's own notifications to ``client:<id>:user:<uid>``):
``message:new`` {message, conversation}, ``message:status`` {id, contact_id, status, ...},
``conversation:update`` {conversation}, ``notification:new`` {...},
(``message`` and ``conversation`` carry ``conversation_id``/``id`` and ``number_id``: a
contact who wrote to two numbers has two rows in the list, each patched on its own),
``campaign:progress`` {campaign_id, status, counters}.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from clickpro.events import live_first
from clickpro.extensions import db
from clickpro.models import Contact, Conversation, Message, Notification, WhatsAppCredential
from clickpro.realtime import emit_to_client, emit_to_user
from clickpro.schemas import MessageStatusOut
from clickpro.services.accounts.notifications import recipients as notification_recipients
from clickpro.services.inbox import serialize as ser


def _conversation_of(message: Message) -> Conversation | None:
    """The message's conversation by (contact, number): campaign rows have no id."""
    if message.number_id is None:
        return None
    return db.session.scalar(
        sa.select(Conversation).where(
            Conversation.contact_id == message.contact_id,
            Conversation.number_id == message.number_id,
        )
    )


def _message_rows(
    message_id: int,
) -> tuple[Message, Contact | None, Conversation | None, WhatsAppCredential | None] | None:
    """The message with its contact, conversation and number: one query (#24: the live
    ``message:new`` is on the inbox's critical path; it read them one by one)."""
    found = db.session.execute(
        sa.select(Message, Contact, Conversation, WhatsAppCredential)
        .outerjoin(Contact, Contact.id == Message.contact_id)
        .outerjoin(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(WhatsAppCredential, WhatsAppCredential.id == Message.number_id)
        .where(Message.id == message_id)
    ).first()
    return None if found is None else found.tuple()


def publish_message(client_id: int, message_id: int) -> None:
    """``message:new`` {message, conversation}: 3 queries (the rows, the contact's
    labels and opt-out) for an inbound message."""
    rows = _message_rows(message_id)
    if rows is None or rows[0].client_id != client_id:
        return
    message, contact, conversation, number = rows
    if conversation is None and message.conversation_id is None:
        conversation = _conversation_of(message)
    if conversation is not None and conversation.client_id != client_id:
        conversation = None
    if number is not None and number.client_id != client_id:
        number = None
    phone_number_ids = {number.id: number.phone_number_id} if number is not None else None
    shaped_conversation = None
    if conversation is not None:
        shaped_conversation = ser.conversation(
            conversation,
            contact if contact is not None and contact.id == conversation.contact_id else None,
            number if number is not None and number.id == conversation.number_id else None,
        )
    data = {
        # Server clock at emit (ms since epoch): lets a client or benchmark split latency.
        "emitted_ms": round(time.time() * 1000, 1),
        "message": ser.messages(
            [message],
            {contact.id: contact} if contact else None,  # name, phone, BSUID, username
            phone_number_ids=phone_number_ids,
        )[0],
        "conversation": shaped_conversation,
    }
    emit_to_client(client_id, "message:new", data)


def publish_conversation(
    client_id: int, conversation_id: int | None = None, contact_id: int | None = None
) -> None:
    """``conversation:update`` for one conversation, or for each of a contact's (labels
    and contact fields are shared by them; senders that only know the contact)."""
    rows: list[Conversation | None]
    if conversation_id is not None:
        rows = [db.session.get(Conversation, conversation_id)]
    elif contact_id is not None:
        rows = list(
            db.session.scalars(
                sa.select(Conversation).where(
                    Conversation.client_id == client_id, Conversation.contact_id == contact_id
                )
            )
        )
    else:
        return
    owned = [r for r in rows if r is not None and r.client_id == client_id]
    for shaped in ser.conversations(owned):
        emit_to_client(client_id, "conversation:update", {"conversation": shaped})


# --------------------------------------------------------------------------- receivers


@live_first  # before the batch's slow receivers: the inbox waits for this one (#24)
def on_message_received(sender, *, client_id: int, message_id: int, **_) -> None:
    publish_message(client_id, message_id)


def on_message_created(sender, *, client_id: int, message_id: int, **_) -> None:
    publish_message(client_id, message_id)


def on_message_status_changed(
    sender, *, client_id: int, message_id: int, contact_id: int, status: str, **_
) -> None:
    data = MessageStatusOut(id=message_id, contact_id=contact_id, status=status).model_dump(
        mode="json"
    )
    if status == "FAILED":
        message = db.session.get(Message, message_id)
        if message is not None and message.client_id == client_id:
            data = ser.status_event(message)
    emit_to_client(client_id, "message:status", data)


def on_conversation_updated(
    sender,
    *,
    client_id: int,
    conversation_id: int | None = None,
    contact_id: int | None = None,
    **_,
) -> None:
    publish_conversation(client_id, conversation_id, contact_id)


def on_notification_created(
    sender, *, client_id: int, notification_id: int, user_id: int | None = None, **_
) -> None:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.client_id != client_id:
        return
    data = {
        "id": notification.id,
        "kind": notification.kind,
        "text": notification.text,
        "contact_id": notification.contact_id,
        "template_id": notification.template_id,
        "campaign_id": notification.campaign_id,
        "conversation_id": notification.conversation_id,
        "user_id": notification.user_id,
    }
    users = notification_recipients(notification)  # None: every member of the client
    if users is None:
        emit_to_client(client_id, "notification:new", data)
    for recipient in users or ():
        emit_to_user(client_id, recipient, "notification:new", data)


def on_campaign_progress(
    sender, *, client_id: int, campaign_id: int, status: str | None = None, counters=None, **_
) -> None:
    data = {"campaign_id": campaign_id, "status": status, "counters": counters or {}}
    emit_to_client(client_id, "campaign:progress", data)


def on_campaign_finished(sender, *, client_id: int, campaign_id: int, status: str, **_) -> None:
    emit_to_client(
        client_id,
        "campaign:progress",
        {"campaign_id": campaign_id, "status": status, "final": True},
    )
