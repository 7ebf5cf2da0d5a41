"""Which WhatsApp number a campaign sends from, and the template rule that goes with it.

A campaign chooses one of the client's active numbers (``campaigns.number_id``); a
campaign stored before numbers existed (``number_id`` NULL) sends from the client's first
number. Only templates of the number's WABA can be sent from it: Meta looks a template up
in the sending number's WABA, so another WABA's template would fail on every row.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.integrations.meta import GraphClient
from clickpro.models import Campaign, Template, WhatsAppCredential
from clickpro.services.conversations import active_numbers, get_number
from clickpro.services.credentials import NoCredentials
from clickpro.services.credentials.whatsapp import usable
from clickpro.services.templates.wabas import default_waba_id, number_label, template_waba_id

__all__ = [
    "active_number",
    "campaign_number",
    "campaign_sender",
    "number_choices",
    "number_label",
    "template_fits",
    "wrong_waba_message",
]


def campaign_number(campaign: Campaign) -> WhatsAppCredential | None:
    """The number ``campaign`` sends from (its own; NULL: the client's first number)."""
    return get_number(campaign.client_id, campaign.number_id)


def campaign_sender(campaign: Campaign) -> tuple[WhatsAppCredential, GraphClient]:
    """The campaign's number and a Graph client with its token; ``NoCredentials`` when the
    number is gone, removed (archived) or refused by Meta."""
    number = campaign_number(campaign)
    if number is not None and number.archived_at is not None:
        raise NoCredentials(
            _(
                "O número %(number)s desta campanha foi removido: crie a campanha de novo "
                "com outro número.",
                number=number_label(number),
            )
        )
    return usable(number)


def active_number(client_id: int, **where: object) -> WhatsAppCredential | None:
    """The client's active number matching ``where`` (``id=…``/``phone_number_id=…``)."""
    stmt = sa.select(WhatsAppCredential).where(
        WhatsAppCredential.client_id == client_id,
        WhatsAppCredential.archived_at.is_(None),
        *(getattr(WhatsAppCredential, k) == v for k, v in where.items()),
    )
    return db.session.scalar(stmt)


def template_fits(template: Template, number: WhatsAppCredential) -> bool:
    """Can ``template`` be sent from ``number`` (same WABA)?"""
    return template_waba_id(template, default_waba_id(template.client_id)) == number.waba_id


def wrong_waba_message(template: Template, number: WhatsAppCredential) -> str:
    return _(
        "O modelo %(name)s é de outra conta do WhatsApp (WABA): o número %(number)s só envia "
        "modelos da conta dele. Escolha um modelo desse número ou outro número.",
        name=template.name,
        number=number_label(number),
    )


def number_choices(client_id: int) -> list[WhatsAppCredential]:
    """The numbers a campaign may choose (active ones, first number first)."""
    return active_numbers(client_id)
