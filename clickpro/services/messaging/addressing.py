"""How a send reaches a contact: its phone in ``to``, else its BSUID in ``recipient``.

Every send path (agent, AI, API, system replies, campaigns) takes its address here, so the
rule of reference §1 "Sending" lives in one place: a phone when one is known (Meta still
recommends it), else the BSUID; never a BSUID in ``to``. A BSUID works only inside its
business portfolio, so the BSUID is the one of the SENDING number's WABA
(:func:`recipient_for`, via ``contacts.identity.bsuid_for``); a contact known only by
another portfolio's BSUID is refused before the send (:class:`OtherPortfolio`). Templates Meta refuses to a
BSUID (authentication: one-tap, zero-tap, copy-code; error 131062) are refused before the
send with a message a person can act on.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.integrations.meta.messages import BSUID_REFUSED_CATEGORIES, Recipient, is_bsuid
from clickpro.services.contacts.phones import e164_to_wa

__all__ = [
    "BsuidNotAllowed",
    "NoAddress",
    "OtherPortfolio",
    "UnusableBsuid",
    "bsuid_refusal",
    "check_template_allowed",
    "recipient_for",
    "recipient_of",
    "template_refused",
]


class NoAddress(ServiceError):
    """A contact with neither a phone nor a BSUID cannot be reached."""

    code = "no_address"

    def __init__(self) -> None:
        super().__init__(_("O contato não tem telefone nem BSUID: não há como enviar."))


class OtherPortfolio(NoAddress):
    """A contact with no phone whose BSUIDs are all of other portfolios than the
    sending number's: Meta would not deliver (a BSUID is scoped to its portfolio)."""

    code = "bsuid_other_portfolio"

    def __init__(self) -> None:
        ServiceError.__init__(self, other_portfolio_refusal())


def other_portfolio_refusal() -> str:
    return _(
        "Este contato só é conhecido pelo BSUID de outra conta do WhatsApp (outro "
        "portfólio) e não tem telefone: este número não pode enviar a ele. Envie pelo "
        "número em que o contato escreveu ou cadastre o telefone dele."
    )


class UnusableBsuid(NoAddress):
    """A contact with no phone whose stored BSUID does not match Meta's format (stored
    before the webhook checked it, or edited by hand): Meta would refuse the send, so it is
    refused here with a message a person can act on (QA16-D3: was an uncaught ValueError)."""

    code = "bsuid_invalid"

    def __init__(self) -> None:
        ServiceError.__init__(
            self,
            _(
                "O BSUID guardado para este contato não é válido e ele não tem telefone: "
                "não há como enviar. Cadastre o telefone do contato ou aguarde uma nova "
                "mensagem dele."
            ),
        )


class BsuidNotAllowed(ServiceError):
    """A template Meta does not deliver to a BSUID (131062), for a contact with no phone."""

    code = "bsuid_not_allowed"
    field = "template_id"

    def __init__(self) -> None:
        super().__init__(bsuid_refusal())


def bsuid_refusal() -> str:
    return _(
        "Modelos de autenticação (código, toque único ou zero toque) não podem ser enviados "
        "a um contato sem telefone (só nome de usuário/BSUID): o WhatsApp recusa (131062). "
        "Cadastre o telefone do contato ou use outro modelo."
    )


def _get(contact: Any, name: str) -> str | None:
    value = contact.get(name) if isinstance(contact, dict) else getattr(contact, name, None)
    return str(value).strip() or None if value is not None else None


def recipient_of(contact: Any, *, bsuid: str | None = None) -> Recipient:
    """The address of a Contact (or a row/dict with wa_id, phone_e164, bsuid), without
    the portfolio check: sends use :func:`recipient_for` (the sending number's WABA).

    The phone is Meta's own ``wa_id`` when known (Brazil: maybe 8 digits), else the
    stored E.164 without '+'; with no phone, the BSUID. ``bsuid``: the one valid for the
    sending number's portfolio (``contacts.identity.bsuid_for``), when the caller knows
    it; else the contact's latest.
    """
    phone = _get(contact, "wa_id")
    if not phone and _get(contact, "phone_e164"):
        phone = e164_to_wa(str(_get(contact, "phone_e164")))
    bsuid = bsuid or _get(contact, "bsuid")
    if not phone and not bsuid:
        raise NoAddress()
    return Recipient(phone=phone or None, bsuid=bsuid)


def phone_of(contact: Any) -> str | None:
    """Meta's ``wa_id`` when known, else the stored E.164 without '+' (None: no phone)."""
    phone = _get(contact, "wa_id")
    if not phone and _get(contact, "phone_e164"):
        phone = e164_to_wa(str(_get(contact, "phone_e164")))
    return phone or None


def recipient_for(client_id: int, contact: Any, waba_id: str | None) -> Recipient:
    """The address of ``contact`` (a Contact, or a row with ``id``, ``wa_id``,
    ``phone_e164``) for a send FROM a number of ``waba_id``.

    The phone when known (no query); else the BSUID valid in that number's portfolio.
    :class:`OtherPortfolio` when the contact has BSUIDs but none for that portfolio,
    :class:`NoAddress` when it has nothing at all.
    """
    from clickpro.services.contacts.identity import bsuid_for, shown_bsuid

    phone = phone_of(contact)
    if phone:
        return Recipient(phone=phone)
    contact_id = int(_get(contact, "id") or 0)
    bsuid = bsuid_for(client_id, contact_id, waba_id) if contact_id else None
    if bsuid and not is_bsuid(bsuid):
        raise UnusableBsuid()
    if bsuid:
        return Recipient(bsuid=bsuid)
    if _get(contact, "bsuid") or (contact_id and shown_bsuid(client_id, contact_id)):
        raise OtherPortfolio()
    raise NoAddress()


def template_refused(category: str | None, recipient: Recipient) -> bool:
    return recipient.by_bsuid and str(category or "").upper() in BSUID_REFUSED_CATEGORIES


def check_template_allowed(category: str | None, recipient: Recipient) -> None:
    """Raise :class:`BsuidNotAllowed` when Meta would answer 131062."""
    if template_refused(category, recipient):
        raise BsuidNotAllowed()
