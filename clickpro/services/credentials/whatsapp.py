"""A client's WhatsApp Cloud API credential: save (after a live test), re-test, use.

The live test is Meta's ``GET /{waba_id}/phone_numbers``: the token must be accepted and
the configured phone number id must be one of the WABA's numbers. Nothing is stored when
it fails, and the admin sees Meta's own message.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from clickpro.crypto import decrypt, encrypt, last4
from clickpro.extensions import db
from clickpro.integrations.meta import GraphClient, GraphError, GraphErrorKind, graph_client
from clickpro.models import Client, CredentialStatus, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.credentials.common import (
    CredentialError,
    NoCredentials,
    ServiceUnreachable,
    clean_id,
    clean_secret,
    mark_invalid,
)

# Meta's throughput levels (messages per second per number).
THROUGHPUT_LEVELS = {"STANDARD": 80, "HIGH": 1000, "COEXISTENCE": 20}


def get_whatsapp_credential(client_id: int) -> WhatsAppCredential | None:
    return db.session.scalar(
        sa.select(WhatsAppCredential).where(WhatsAppCredential.client_id == client_id)
    )


def whatsapp_for(client_id: int) -> tuple[WhatsAppCredential, GraphClient]:
    """The client's credential and a Graph client with its token (``NoCredentials`` if
    there is none or Meta refused it at the last test)."""
    credential = get_whatsapp_credential(client_id)
    if credential is None:
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


def _apply_number(credential: WhatsAppCredential, number: dict) -> None:
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
    stmt = sa.select(WhatsAppCredential.id).where(
        WhatsAppCredential.phone_number_id == phone_number_id,
        WhatsAppCredential.client_id != client_id,
    )
    return db.session.scalar(stmt) is not None


def save_whatsapp_credentials(client: Client, data: dict) -> WhatsAppCredential:
    """Validate live against Meta, then create or replace the client's credential.

    ``data``: access_token, waba_id, phone_number_id, app_id, app_secret, verify_token
    (+ ``clear_app_secret``). An empty secret keeps the stored one.
    """
    existing = get_whatsapp_credential(client.id)
    token = clean_secret(
        data.get("access_token"), "access_token", _("o token de acesso"), required=existing is None
    )
    waba_id = clean_id(data.get("waba_id"), "waba_id", "WABA id")
    phone_number_id = clean_id(data.get("phone_number_id"), "phone_number_id", "phone number id")
    app_id = clean_id(data.get("app_id"), "app_id", "app id", required=False)
    app_secret = clean_secret(
        data.get("app_secret"), "app_secret", _("o app secret"), required=False
    )
    verify_token = clean_secret(
        data.get("verify_token"), "verify_token", _("o token de verificação"), required=False
    )
    assert waba_id is not None and phone_number_id is not None
    if token is None:
        assert existing is not None
        token = decrypt(existing.access_token_enc)
    numbers = _live_numbers(token, waba_id)
    number = _pick_number(numbers, phone_number_id)
    if _phone_taken(phone_number_id, client.id):
        raise _number_refused([n for n in numbers if str(n.get("id")) != phone_number_id])

    action = Action.CREDENTIAL_CHANGED if existing is not None else Action.CREDENTIAL_CREATED
    credential = existing or WhatsAppCredential(client_id=client.id)
    credential.access_token_enc = encrypt(token)
    credential.token_last4 = last4(token)
    credential.waba_id = waba_id
    credential.phone_number_id = phone_number_id
    credential.app_id = app_id
    if app_secret is not None:
        credential.app_secret_enc = encrypt(app_secret)
    elif data.get("clear_app_secret"):
        credential.app_secret_enc = None
    if verify_token is not None:
        credential.verify_token_sha256 = hashlib.sha256(verify_token.encode()).hexdigest()
    _apply_number(credential, number)
    db.session.add(credential)
    try:
        db.session.commit()
    except IntegrityError:  # another client took the number between our check and commit
        db.session.rollback()
        raise _number_refused([n for n in numbers if str(n.get("id")) != phone_number_id]) from None
    audit_record(action, credential, client_id=client.id, kind="whatsapp", phone=phone_number_id)
    return credential


def retest_whatsapp(client: Client) -> WhatsAppCredential:
    """Re-run the live test on the stored credential; updates status and last_error.

    Meta refusing the token or the number → INVALID. Meta unreachable → status kept,
    ``last_error`` says so (the credential may well be fine).
    """
    credential = get_whatsapp_credential(client.id)
    if credential is None:
        raise NoCredentials(_("Este cliente ainda não configurou as credenciais do WhatsApp."))
    try:
        numbers = _live_numbers(decrypt(credential.access_token_enc), credential.waba_id)
        _apply_number(credential, _pick_number(numbers, credential.phone_number_id))
    except ServiceUnreachable as error:
        credential.last_error = error.message
    except CredentialError as error:
        credential.last_error = error.message
        credential.status = CredentialStatus.INVALID
        credential.validated_at = utcnow()
    db.session.commit()
    return credential


def mark_whatsapp_invalid(client_id: int, reason: str) -> None:
    """Meta refused the token during normal use (code 190): stop using it, tell the admins."""
    mark_invalid(
        get_whatsapp_credential(client_id),
        client_id,
        reason,
        f"A Meta recusou o token do WhatsApp ({reason[:200]}). Os envios estão parados: "
        "atualize as credenciais.",
    )
