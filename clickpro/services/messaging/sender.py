"""Who sends a single message to whom: the conversation's number, to its contact.

A conversation belongs to one of the client's numbers (the one the customer wrote to,
:mod:`clickpro.services.conversations`); every single send of that conversation (agent,
AI, opt-out confirmation, API) goes out from that number with that number's credential
(phone number id + token). :func:`route_of` reads everything a send needs *before* the
HTTP call, so no ORM object is touched while Meta answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.integrations.meta import GraphClient
from clickpro.integrations.meta.messages import Recipient
from clickpro.models import Contact, Conversation, Message, WhatsAppCredential
from clickpro.services.conversations import (
    get_conversation,
    get_number,
    get_or_create_conversation,
)
from clickpro.services.credentials.numbers import whatsapp_for_number
from clickpro.services.credentials.whatsapp import usable
from clickpro.services.messaging.addressing import recipient_for
from clickpro.tenancy import get_owned


class OutboundError(ServiceError):
    """A send refused before reaching Meta (bad input); ``str()`` is a pt_BR message."""


@dataclass(frozen=True)
class Route:
    """One send's parties: the conversation, its contact, the number and its Graph client,
    and the contact's address FROM that number (phone, else the BSUID of the number's
    portfolio)."""

    conversation: Conversation
    contact: Contact
    number: WhatsAppCredential
    graph: GraphClient
    recipient: Recipient

    @property
    def phone_number_id(self) -> str:
        return self.number.phone_number_id


def route_of(conversation: Conversation) -> Route:
    """The parties of a send in ``conversation`` (``NoCredentials`` when its number is
    archived, missing or refused by Meta; ``NoAddress``/``OtherPortfolio`` when the
    contact cannot be reached from that number — before anything is stored or sent)."""
    contact = get_owned(Contact, conversation.contact_id, conversation.client_id)
    if contact is None:
        raise OutboundError(_("Contato não encontrado."))
    number, graph = whatsapp_for_number(conversation.client_id, conversation.number_id)
    recipient = recipient_for(conversation.client_id, contact, number.waba_id)
    return Route(conversation, contact, number, graph, recipient)


def conversation_for(client_id: int, contact_id: int, number_id: int | None = None) -> Conversation:
    """The conversation of ``contact_id`` on the client's number ``number_id`` (default:
    the client's first number), created when missing.

    For callers that know a contact and a number, not a conversation (the API, the
    compatibility form of the send functions). ``OutboundError`` for an unknown contact or
    another client's number; ``NoCredentials`` when the client has no number at all.
    """
    if get_owned(Contact, contact_id, client_id) is None:
        raise OutboundError(_("Contato não encontrado."))
    number = get_number(client_id, number_id)
    if number is None:
        if number_id is not None:
            raise OutboundError(_("Número de WhatsApp não encontrado."))
        usable(None)  # raises NoCredentials: the client has no number yet
    assert number is not None
    return get_or_create_conversation(client_id, contact_id, number.id)


def conversation_of_inbound(
    client_id: int,
    message_id: int,
    contact_id: int,
    conversation_id: int | None = None,
    number_id: int | None = None,
) -> Conversation | None:
    """The conversation an inbound message belongs to, for ``message_received``
    receivers (the AI, the opt-out confirmation): the signal's ``conversation_id``, else
    the row's, else the contact's conversation on the number it arrived to (the row's
    ``number_id``, else the client's first number). None when there is no number."""
    if conversation_id is not None:
        found = get_conversation(client_id, conversation_id)
        if found is not None:
            return found
    message = get_owned(Message, message_id, client_id)
    if message is not None and message.conversation_id is not None:
        found = get_conversation(client_id, message.conversation_id)
        if found is not None:
            return found
    number_id = number_id or (message.number_id if message is not None else None)
    number = get_number(client_id, number_id)
    if number is None:
        return None
    conversation = get_or_create_conversation(client_id, contact_id, number.id)
    db.session.commit()
    return conversation
