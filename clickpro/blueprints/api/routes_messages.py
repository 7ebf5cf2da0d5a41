"""/api/v1 messages and conversations (``services.outbound``, ``services.inbox``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.blueprints.api.auth import ApiError, Caller
from clickpro.blueprints.api.registry import int_cursor, not_found, operation
from clickpro.blueprints.api.routes_contacts import find_contact
from clickpro.blueprints.api.schemas import PageQuery
from clickpro.blueprints.api.schemas_messaging import (
    ConversationPage,
    ConversationQuery,
    MessageOut,
    MessagePage,
    SendMessageIn,
)
from clickpro.extensions import db
from clickpro.models import Author, Contact, Message, Template, WhatsAppCredential
from clickpro.schemas import conversation_shapes, message_shape, message_shapes
from clickpro.services.contacts import optout
from clickpro.services.contacts import service as contacts
from clickpro.services.conversations import get_conversation
from clickpro.services.credentials import NoCredentials
from clickpro.services.inbox import service as inbox
from clickpro.services.messaging import outbound
from clickpro.tenancy import get_owned

T = "messages"
TC = "conversations"


def message_out(m: Message) -> MessageOut:
    """The shared message shape (``clickpro.schemas``): the inbox and webhooks send it too."""
    return message_shape(m)


def message_page(rows: list[Message], limit: int, cursor_of=lambda m: m.id) -> MessagePage:
    """``rows`` holds up to ``limit + 1`` rows in page order (4 queries for the page)."""
    more = len(rows) > limit
    rows = rows[:limit]
    return MessagePage(
        data=message_shapes(rows),
        next_cursor=str(cursor_of(rows[-1])) if more and rows else None,
    )


def _recipient(caller: Caller, body: SendMessageIn) -> Contact:
    """The contact of ``phone`` or ``bsuid`` (exactly one, checked by the schema), created
    when unknown (a BSUID one is reached with Meta's ``recipient``)."""
    contact = find_contact(caller.client_id, body.phone, body.bsuid)
    if contact is not None:
        return contact
    if body.template_id is None:
        # A text to someone who never wrote: the 24 h window cannot be open, and the
        # refusal must not leave a new contact behind.
        closed = outbound.WindowClosed()
        raise ApiError(422, "window_closed", str(closed), {"text": [str(closed)]})
    try:
        return contacts.create_contact(
            caller.client_id, body.phone, body.name or "", bsuid=body.bsuid
        )
    except contacts.ContactError:
        db.session.rollback()
        raise


@operation("/messages", "POST", summary="Send a template, or a text inside the 24 h window",
           tag=T, body=SendMessageIn, response=MessageOut, status=201,
           errors=(400, 409, 415, 422), idempotent=True)  # fmt: skip
def send_message(caller: Caller, body: SendMessageIn):
    """The message is stored before the call to Meta; a refusal by Meta still answers 201
    with ``status`` FAILED and Meta's ``error_code``/``error_title``."""
    number_id = _number_id(caller, body.phone_number_id)  # before any contact is created
    if number_id is None and body.template_id is not None:
        number_id = _template_number_id(caller, body.template_id)
    contact = _recipient(caller, body)
    try:
        conversation = outbound.conversation_for(caller.client_id, contact.id, number_id)
        if body.template_id is not None:
            if optout.is_contact_opted_out(contact):
                raise ApiError(
                    422, "opted_out", _("Este número pediu para não receber mensagens."),
                    {"phone": [_("Número em opt-out.")]},
                )  # fmt: skip
            values = body.variables.model_dump(exclude_none=True)
            message = outbound.send_template(
                conversation, body.template_id, values, author=Author.SYSTEM
            )
        else:
            message = outbound.send_text(conversation, body.text or "", author=Author.SYSTEM)
    except outbound.WindowClosed as exc:
        raise ApiError(422, "window_closed", str(exc), {"text": [str(exc)]}) from None
    except outbound.SendFailed as exc:
        message = exc.row
    except outbound.OutboundError as exc:
        field = "template_id" if body.template_id is not None else "text"
        raise ApiError(422, "validation_error", str(exc), {field: [str(exc)]}) from None
    except NoCredentials as exc:
        raise ApiError(409, "no_credentials", str(exc)) from None
    return message_out(message), 201


@operation("/messages/<int:message_id>", "GET", summary="A message with its status", tag=T,
           response=MessageOut, errors=(404,))  # fmt: skip
def get_message(caller: Caller, message_id: int):
    row = get_owned(Message, message_id, caller.client_id)
    if row is None or row.is_internal_note:
        raise not_found(message=_("Mensagem não encontrada."))
    return message_out(row)


# --------------------------------------------------------------------------- conversations


def _template_number_id(caller: Caller, template_id: int) -> int | None:
    """The first active number of the template's WABA: a template is sent from a number
    of its own WABA (QA16-D6). None when unknown (the send refuses it with its reason)."""
    template = get_owned(Template, template_id, caller.client_id)
    if template is None or not template.waba_id:
        return None
    return db.session.scalar(
        sa.select(WhatsAppCredential.id)
        .where(
            WhatsAppCredential.client_id == caller.client_id,
            WhatsAppCredential.waba_id == template.waba_id,
            WhatsAppCredential.archived_at.is_(None),
        )
        .order_by(WhatsAppCredential.id)
        .limit(1)
    )


def _number_id(caller: Caller, phone_number_id: str | None) -> int | None:
    """The client's number with Meta's ``phone_number_id`` (422 when it is not theirs)."""
    if not phone_number_id:
        return None
    found = db.session.scalar(
        sa.select(WhatsAppCredential.id).where(
            WhatsAppCredential.client_id == caller.client_id,
            WhatsAppCredential.phone_number_id == phone_number_id,
        )
    )
    if found is None:
        message = _("Este número não é deste cliente.")
        raise ApiError(422, "validation_error", message, {"phone_number_id": [message]})
    return found


@operation("/conversations", "GET", summary="Conversations, most recent first", tag=TC,
           query=ConversationQuery, response=ConversationPage, errors=(422,))  # fmt: skip
def list_conversations(caller: Caller, query: ConversationQuery):
    """One conversation per contact per number: a customer who wrote to two of the
    client's numbers has two, with the same ``contact_id``."""
    wanted = inbox.ConversationQuery(
        q=query.q,
        cursor=query.cursor,
        limit=query.limit,
        number_id=_number_id(caller, query.phone_number_id),
    )
    try:
        page = inbox.list_conversations(caller.client_id, wanted)
    except inbox.InboxQueryError as exc:
        raise ApiError(422, "validation_error", str(exc), {"cursor": [str(exc)]}) from None
    return ConversationPage(data=conversation_shapes(page.items), next_cursor=page.next_cursor)


@operation("/conversations/<int:conversation_id>/messages", "GET", tag=TC,
           summary="Messages of a conversation, newest page first (oldest first inside)",
           query=PageQuery, response=MessagePage, errors=(404, 422))  # fmt: skip
def conversation_messages(caller: Caller, conversation_id: int, query: PageQuery):
    """``conversation_id`` is a conversation's ``id`` (its contact on its number)."""
    conversation = get_conversation(caller.client_id, conversation_id)
    if conversation is None:
        raise not_found(message=_("Conversa não encontrada."))
    page = inbox.load_messages(conversation, before_id=int_cursor(query.cursor), limit=query.limit)
    rows = [m for m in page.items if not m.is_internal_note]
    result = message_page(rows, len(rows) or 1)
    result.next_cursor = page.next_cursor
    return result
