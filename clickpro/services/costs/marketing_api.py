"""Meta's Marketing Messages API: the per-number setting and the routing decision.

Meta's rule (reference §4, "Route template messages by category"): a MARKETING template
goes to ``/marketing_messages`` when the WABA is onboarded, everything else to
``/messages``. The template's category is the one of the last *completed*
``template_category_update`` (see :mod:`.quality`), so routing follows it by itself.
The switch is turned on only after Meta's ``marketing_messages_onboarding_status``
answers ONBOARDED (the check call); a later check that no longer says so turns it off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.integrations.meta import GraphError
from clickpro.models import MarketingMessagesNumber, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.credentials import NoCredentials, whatsapp_for

ONBOARDED = "ONBOARDED"


class MarketingApiError(ServiceError):
    """The switch cannot be turned on (not onboarded, Meta unreachable, no credential)."""


@dataclass(frozen=True)
class NumberSetting:
    credential_id: int
    phone: str
    onboarded: bool
    meta_status: str | None
    checked_at: datetime | None


def _row(credential: WhatsAppCredential) -> MarketingMessagesNumber:
    row = db.session.get(MarketingMessagesNumber, credential.id)
    if row is None:
        row = MarketingMessagesNumber(
            credential_id=credential.id, client_id=credential.client_id, onboarded=False
        )
        db.session.add(row)
    return row


def setting_of(client_id: int) -> NumberSetting | None:
    """The client's number and its Marketing Messages API state (None: no credential)."""
    try:
        credential, _client = whatsapp_for(client_id)
    except NoCredentials:
        return None
    row = db.session.get(MarketingMessagesNumber, credential.id)
    return NumberSetting(
        credential.id,
        credential.display_phone_number or credential.phone_number_id,
        bool(row and row.onboarded),
        row.meta_status if row else None,
        row.checked_at if row else None,
    )


def check(client_id: int, *, turn_on: bool | None = None) -> NumberSetting:
    """Ask Meta; ``turn_on`` True/False sets the switch (on only when ONBOARDED)."""
    try:
        credential, graph = whatsapp_for(client_id)
    except NoCredentials as exc:
        raise MarketingApiError(str(exc)) from None
    row = _row(credential)
    if turn_on is False:
        row.onboarded = False
        db.session.commit()
        return _required(setting_of(client_id))
    try:
        status = graph.marketing_messages_status(credential.waba_id)
    except GraphError as exc:
        db.session.rollback()
        raise MarketingApiError(
            _("A Meta não respondeu à verificação: %(error)s", error=exc.title or exc.code)
        ) from None
    row.meta_status = (status or "")[:40] or None
    row.checked_at = utcnow()
    if status != ONBOARDED:
        row.onboarded = False
        db.session.commit()
        if turn_on:
            raise MarketingApiError(
                _(
                    "A conta ainda não está habilitada na Marketing Messages API "
                    "(situação na Meta: %(status)s). Aceite os termos no Gerenciador do "
                    "WhatsApp e verifique de novo.",
                    status=status or "—",
                )
            )
        return _required(setting_of(client_id))
    if turn_on:
        row.onboarded = True
    db.session.commit()
    return _required(setting_of(client_id))


def _required(setting: NumberSetting | None) -> NumberSetting:
    if setting is None:  # pragma: no cover - the credential was just read
        raise MarketingApiError(_("Este cliente ainda não configurou as credenciais do WhatsApp."))
    return setting


def uses_marketing_api(credential_id: int, template_category: str | None) -> bool:
    """Send this template through ``/marketing_messages``? (MARKETING on an onboarded number)."""
    if str(template_category or "").upper() != "MARKETING":
        return False
    row = db.session.get(MarketingMessagesNumber, credential_id)
    return bool(row and row.onboarded)
