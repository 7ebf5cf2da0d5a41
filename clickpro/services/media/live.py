"""``message_media_updated`` → ``message:update`` {message} to the client's inbox, so a
thumbnail, a player or a transcript appears in the open thread without a reload."""

from __future__ import annotations

from clickpro.extensions import db
from clickpro.models import Contact, Message
from clickpro.realtime import emit_to_client


def publish_message_update(client_id: int, message_id: int) -> None:
    from clickpro.services.inbox import serialize as ser

    message = db.session.get(Message, message_id)
    if message is None or message.client_id != client_id:
        return
    contact = db.session.get(Contact, message.contact_id)
    shaped = ser.messages([message], {contact.id: contact} if contact else None)[0]
    emit_to_client(client_id, "message:update", {"message": shaped})


def on_media_updated(sender=None, *, client_id: int, message_id: int, **_) -> None:
    publish_message_update(client_id, message_id)
