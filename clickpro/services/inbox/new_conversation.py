"""“Nova conversa”: an agent starts (or continues) a conversation with a contact on one
of the client's numbers.

The contact is an existing one (``contact_id``), or a phone / BSUID typed by the agent
(Brazilian phone rules of ``contacts.phones``; an unknown one becomes a new contact).
Outside that number's 24-hour window only an approved template of the number's WABA
can go out; inside it, free text. Every refusal is a 400 with a clear pt_BR message
(opted-out contact, no approved template, invalid number); another client's contact,
number or template is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import (
    Contact,
    Conversation,
    Message,
    Template,
    TemplateStatus,
    WhatsAppCredential,
)
from clickpro.services.contacts.bsuids import InvalidBsuid, normalize_bsuid
from clickpro.services.contacts.optout import is_contact_opted_out
from clickpro.services.contacts.phones import InvalidPhone, normalize_phone
from clickpro.services.conversations import get_number, get_or_create_conversation
from clickpro.services.inbox import actions
from clickpro.services.messaging import outbound
from clickpro.tenancy import get_owned, id_in_range


class NewConversationError(ServiceError, ValueError):
    """A refused “Nova conversa” (400, pt_BR)."""

    code = "bad_request"
    http_status = 400


class NotFound(NewConversationError):
    code = "not_found"
    http_status = 404


@dataclass
class Started:
    conversation: Conversation
    message: Message
    created_contact: bool


def _owned(model, row_id, client_id: int, what: str):
    try:
        wanted = int(row_id)
    except (TypeError, ValueError):
        raise NotFound(_("%(what)s não encontrado.", what=what)) from None
    row = get_owned(model, wanted, client_id) if id_in_range(model, wanted) else None
    if row is None:
        raise NotFound(_("%(what)s não encontrado.", what=what))
    return row


def find_or_create_contact(
    client_id: int, *, contact_id=None, phone: str | None = None, bsuid: str | None = None,
    name: str = "",
) -> tuple[Contact, bool]:  # fmt: skip
    """The contact to talk to, and whether it was created now."""
    if contact_id is not None:
        return _owned(Contact, contact_id, client_id, _("Contato")), False
    phone, bsuid = (phone or "").strip(), (bsuid or "").strip()
    if phone:
        try:
            e164 = normalize_phone(phone, "BR")
        except InvalidPhone as exc:
            raise NewConversationError(
                _("Número inválido: %(message)s", message=exc.message), field="phone"
            ) from None
        found = db.session.scalar(
            sa.select(Contact).where(Contact.client_id == client_id, Contact.phone_e164 == e164)
        )
        if found is not None:
            return found, False
        contact = Contact(client_id=client_id, phone_e164=e164, wa_id=e164.lstrip("+"),
                          name=(name or "").strip()[:200], attributes={})  # fmt: skip
    elif bsuid:
        try:
            clean = normalize_bsuid(bsuid)
        except InvalidBsuid as exc:
            raise NewConversationError(exc.message, field="bsuid") from None
        found = db.session.scalar(
            sa.select(Contact).where(Contact.client_id == client_id, Contact.bsuid == clean)
        )
        if found is not None:
            return found, False
        contact = Contact(client_id=client_id, bsuid=clean, name=(name or "").strip()[:200],
                          attributes={})  # fmt: skip
    else:
        raise NewConversationError(
            _("Escolha um contato ou digite um número de telefone ou BSUID."), field="phone"
        )
    db.session.add(contact)
    db.session.flush()
    return contact, True


def number_of(client_id: int, number_id) -> WhatsAppCredential:
    """The client's active number ``number_id`` (400 when missing, 404 another client's)."""
    if number_id is None:
        raise NewConversationError(_("Escolha o número do WhatsApp."), field="number_id")
    number = None
    try:
        wanted = int(number_id)
        number = get_number(client_id, wanted) if 0 < wanted < 2**31 else None
    except (TypeError, ValueError):
        pass
    if number is None or number.archived_at is not None:
        raise NotFound(_("Número do WhatsApp não encontrado."))
    return number


def existing_conversation(client_id: int, contact_id: int, number_id: int) -> Conversation | None:
    return db.session.scalar(
        sa.select(Conversation).where(
            Conversation.client_id == client_id,
            Conversation.contact_id == contact_id,
            Conversation.number_id == number_id,
        )
    )


def approved_for_number(client_id: int, waba_id: str | None) -> list[Template]:
    """The approved templates a number can send: those of its WABA only."""
    return list(
        db.session.scalars(
            sa.select(Template)
            .where(
                Template.client_id == client_id,
                Template.status == TemplateStatus.APPROVED,
                Template.waba_id == waba_id,
            )
            .order_by(Template.name, Template.language)
        )
    )


def start_conversation(
    client_id: int,
    user_id: int,
    *,
    number_id,
    contact_id=None,
    phone: str | None = None,
    bsuid: str | None = None,
    name: str = "",
    text: str | None = None,
    template_id=None,
    values: dict | None = None,
) -> Started:
    """Send the first message of a (new or existing) conversation; see the module doc."""
    number = number_of(client_id, number_id)
    template = None
    if template_id is not None:
        template = _owned(Template, template_id, client_id, _("Modelo"))
    contact, created = find_or_create_contact(
        client_id, contact_id=contact_id, phone=phone, bsuid=bsuid, name=name
    )
    if is_contact_opted_out(contact):
        db.session.rollback()
        raise NewConversationError(
            _("Este contato pediu para não receber mensagens (descadastrado)."), field="contact"
        )
    conversation = get_or_create_conversation(client_id, contact.id, number.id)
    db.session.commit()  # the contact and the conversation exist before the send
    if outbound.window_open(conversation):
        if template is None and not (text or "").strip():
            raise NewConversationError(_("Escreva a mensagem."), field="text")
        if template is None:
            message = actions.reply_text(client_id, conversation.id, user_id, text or "")
            return Started(conversation, message, created)
    elif template is None:
        if not approved_for_number(client_id, number.waba_id):
            raise NewConversationError(
                _(
                    "Fora da janela de 24 horas só é possível enviar um modelo aprovado, e o "
                    "número “%(number)s” não tem nenhum modelo aprovado.",
                    number=number.display_name or number.display_phone_number,
                ),
                field="template_id",
            )
        raise NewConversationError(
            _("Fora da janela de 24 horas, escolha um modelo aprovado."), field="template_id"
        )
    assert template is not None
    if template.status != TemplateStatus.APPROVED or template.waba_id != number.waba_id:
        raise NewConversationError(
            _("O modelo “%(name)s” não é um modelo aprovado deste número.", name=template.name),
            field="template_id",
        )
    message = actions.reply_template(client_id, conversation.id, user_id, template.id, values or {})
    return Started(conversation, message, created)
