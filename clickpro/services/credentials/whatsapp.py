"""A client's WhatsApp Cloud API credentials: the live test, and the first number.

A client may have several numbers (one ``WhatsAppCredential`` row each, see
:mod:`.numbers`); the functions here without a number id mean the client's *first*
number (lowest id not archived), which is what everything did before numbers existed.

The live test is Meta's ``GET /{waba_id}/phone_numbers``: the token must be accepted and
the configured phone number id must be one of the WABA's numbers. Nothing is stored when
it fails, and the admin sees Meta's own message.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.crypto import decrypt
from clickpro.extensions import db
from clickpro.integrations.meta import GraphClient, GraphError, GraphErrorKind, graph_client
from clickpro.models import CredentialStatus, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.conversations import first_number, get_number
from clickpro.services.credentials.common import (
    CredentialError,
    NoCredentials,
    ServiceUnreachable,
    mark_invalid,
)

# Meta's throughput levels (messages per second per number).
THROUGHPUT_LEVELS = {"STANDARD": 80, "HIGH": 1000, "COEXISTENCE": 20}


def get_whatsapp_credential(client_id: int) -> WhatsAppCredential | None:
    """The client's first number (None when it has no number that is not archived)."""
    return first_number(client_id)


def whatsapp_for(client_id: int) -> tuple[WhatsAppCredential, GraphClient]:
    """The client's first number and a Graph client with its token (``NoCredentials`` if
    there is none or Meta refused it at the last test)."""
    return usable(get_whatsapp_credential(client_id))


def usable(credential: WhatsAppCredential | None) -> tuple[WhatsAppCredential, GraphClient]:
    """``credential`` and a Graph client with its token, or ``NoCredentials`` when it is
    missing, archived, or Meta refused it at the last test."""
    if credential is None or credential.archived_at is not None:
        raise NoCredentials(_("Este cliente ainda não configurou as credenciais do WhatsApp."))
    if credential.status == CredentialStatus.INVALID:
        raise NoCredentials(
            _(
                "As credenciais do WhatsApp deste cliente foram recusadas pela Meta: "
                "atualize-as em Credenciais."
            )
        )
    return credential, graph_client(decrypt(credential.access_token_enc))


def _meta_message(error: GraphError) -> str:
    text = error.message or error.title
    if error.details and error.details not in text:
        text = f"{text} — {error.details}"
    return text


def _field_for(error: GraphError) -> str | None:
    if error.kind == GraphErrorKind.AUTH:
        return "access_token"
    if error.kind in (GraphErrorKind.PERMISSION, GraphErrorKind.INVALID_PARAMETER):
        return "waba_id"
    return None


def _live_numbers(token: str, waba_id: str) -> list[dict]:
    """Meta's phone numbers of the WABA, or a ``CredentialError`` with Meta's message."""
    try:
        return graph_client(token).list_phone_numbers(waba_id)
    except GraphError as error:
        if error.kind == GraphErrorKind.NETWORK and error.code is None:
            raise ServiceUnreachable(
                None,
                _(
                    "Não foi possível contatar a Meta (%(detail)s). Nada foi salvo; tente de novo.",
                    detail=error.title,
                ),
            ) from None
        prefix = {
            "access_token": "A Meta recusou o token de acesso",
            "waba_id": "A Meta recusou o acesso a este WABA",
        }.get(_field_for(error) or "", "A Meta respondeu com erro")
        raise CredentialError(_field_for(error), f"{prefix}: {_meta_message(error)}") from None


def _pick_number(numbers: list[dict], phone_number_id: str) -> dict:
    for number in numbers:
        if str(number.get("id")) == phone_number_id:
            return number
    raise _number_refused(numbers)


def _number_refused(numbers: list[dict]) -> CredentialError:
    """The one refusal for a number not in this WABA *or* connected to another client.

    Both say the same, so a client cannot learn which numbers other clients have
    (issue 14); the taken check also runs only after Meta accepted the token for the WABA.
    """
    found = ", ".join(
        f"{n.get('display_phone_number', '?')} (id {n.get('id')})" for n in numbers[:10]
    )
    return CredentialError(
        "phone_number_id",
        _("Este phone number id não pertence ao WABA informado.")
        + " "
        + (
            _("Números deste WABA: %(found)s.", found=found)
            if found
            else _("O WABA não tem números.")
        ),
    )


def throughput_of(number: dict) -> int:
    """Messages per second of a ``phone_numbers`` item (coexistence numbers: 20/s)."""
    if number.get("is_on_biz_app") or str(number.get("platform_type", "")).upper() in {
        "COEXISTENCE",
        "ON_BIZ_APP",
    }:
        return THROUGHPUT_LEVELS["COEXISTENCE"]
    level = str((number.get("throughput") or {}).get("level") or "STANDARD").upper()
    return THROUGHPUT_LEVELS.get(level, THROUGHPUT_LEVELS["STANDARD"])


def _text(value: object, limit: int) -> str | None:
    return str(value)[:limit] if value else None


def apply_number(credential: WhatsAppCredential, number: dict) -> None:
    """Copy Meta's facts of the number (a ``phone_numbers`` item) onto ``credential``."""
    credential.display_phone_number = _text(number.get("display_phone_number"), 32)
    credential.verified_name = _text(number.get("verified_name"), 120)
    credential.quality_rating = _text(number.get("quality_rating"), 16)
    credential.throughput_mps = throughput_of(number)
    tier = number.get("messaging_limit_tier") or number.get("messaging_tier")
    credential.messaging_tier = str(tier)[:32] if tier else None
    credential.status = CredentialStatus.VALID
    credential.validated_at = utcnow()
    credential.last_error = None


def _phone_taken(phone_number_id: str, client_id: int) -> bool:
    """A row of another client has the number (archived ones too: the id is unique)."""
    stmt = sa.select(WhatsAppCredential.id).where(
        WhatsAppCredential.phone_number_id == phone_number_id,
        WhatsAppCredential.client_id != client_id,
    )
    return db.session.scalar(stmt) is not None


def check_live(
    token: str, waba_id: str, phone_number_id: str, client_id: int
) -> tuple[dict, list[dict]]:
    """Meta's item of the number and the WABA's numbers after the live test, or the
    ``CredentialError`` to show.

    The token must open the WABA, the number must be one of the WABA's, and no other
    client may have it (refused with the same words as a number the WABA lacks).
    """
    numbers = _live_numbers(token, waba_id)
    number = _pick_number(numbers, phone_number_id)
    if _phone_taken(phone_number_id, client_id):
        raise taken_refusal(numbers, phone_number_id)
    return number, numbers


def taken_refusal(numbers: list[dict], phone_number_id: str) -> CredentialError:
    """The refusal for a number another client has: the WABA's list without it."""
    return _number_refused([n for n in numbers if str(n.get("id")) != phone_number_id])


def retest(credential: WhatsAppCredential) -> None:
    """Re-run the live test on a stored number; updates status and last_error (no commit).

    Meta refusing the token or the number → INVALID. Meta unreachable → status kept,
    ``last_error`` says so (the credential may well be fine).
    """
    try:
        numbers = _live_numbers(decrypt(credential.access_token_enc), credential.waba_id)
        apply_number(credential, _pick_number(numbers, credential.phone_number_id))
    except ServiceUnreachable as error:
        credential.last_error = error.message
    except CredentialError as error:
        credential.last_error = error.message
        credential.status = CredentialStatus.INVALID
        credential.validated_at = utcnow()


def mark_whatsapp_invalid(client_id: int, reason: str, number_id: int | None = None) -> None:
    """Meta refused the token during normal use (code 190): stop using it, tell the admins.

    ``number_id``: the number whose token was refused (default: the first number).
    """
    credential = get_number(client_id, number_id)
    name = (
        f" ({credential.display_name})"
        if credential is not None and credential.display_name
        else ""
    )
    mark_invalid(
        credential,
        client_id,
        reason,
        f"A Meta recusou o token do WhatsApp{name} ({reason[:200]}). Os envios estão parados: "
        "atualize as credenciais.",
    )
