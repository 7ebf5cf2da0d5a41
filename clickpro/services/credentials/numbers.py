"""A client's WhatsApp numbers: add (after the live test), edit, re-test, archive.

Each number is one ``WhatsAppCredential`` row with its own token, WABA and optional app
secret / webhook verify token. A phone number id is unique across the platform: a number
another client has is refused with the same words as a number the WABA does not have, so
nobody learns which numbers other clients have.

Removing a number *archives* it: its secrets are wiped, the webhook stops routing it and
no send can use it, but its conversations and messages stay. Adding the same number again
un-archives the row, so its history comes back with it.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from clickpro.crypto import decrypt, encrypt, last4
from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.integrations.meta import GraphClient
from clickpro.models import Client, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.conversations import active_numbers, get_number
from clickpro.services.credentials.common import (
    CredentialError,
    NoCredentials,
    clean_id,
    clean_secret,
)
from clickpro.services.credentials.whatsapp import (
    apply_number,
    check_live,
    get_whatsapp_credential,
    retest,
    taken_refusal,
    usable,
)
from clickpro.services.webhook import route_cache
from clickpro.services.webhook.signer import clear_secret_cache

DISPLAY_NAME_MAX = 120
ID_MAX = 2**31 - 1  # ids are 32-bit on PostgreSQL


class NumberNotFound(ServiceError, LookupError):
    """Not a number of this client (another client's id answers the same)."""

    code = "not_found"
    http_status = 404


def list_numbers(client_id: int, *, include_archived: bool = False) -> list[WhatsAppCredential]:
    """The client's numbers, first number first (archived ones last, when asked for)."""
    if not include_archived:
        return active_numbers(client_id)
    stmt = (
        sa.select(WhatsAppCredential)
        .where(WhatsAppCredential.client_id == client_id)
        .order_by(WhatsAppCredential.archived_at.is_not(None), WhatsAppCredential.id)
    )
    return list(db.session.scalars(stmt))


def require_number(client_id: int, number_id: int) -> WhatsAppCredential:
    """The client's number ``number_id`` (archived included), else ``NumberNotFound``."""
    if not 0 < number_id <= ID_MAX:  # a URL's id past the column's range is no number
        raise NumberNotFound(_("Número do WhatsApp não encontrado."))
    number = get_number(client_id, number_id)
    if number is None:
        raise NumberNotFound(_("Número do WhatsApp não encontrado."))
    return number


def require_active_number(client_id: int, number_id: int) -> WhatsAppCredential:
    """Like :func:`require_number`, refusing an archived number (it cannot be changed)."""
    number = require_number(client_id, number_id)
    if number.archived_at is not None:
        raise CredentialError(
            None, _("Este número foi removido. Para usá-lo de novo, adicione-o outra vez.")
        )
    return number


def whatsapp_for_number(
    client_id: int, number_id: int | None
) -> tuple[WhatsAppCredential, GraphClient]:
    """Number ``number_id`` of the client (None: the first number) and a Graph client with
    its token. ``NoCredentials`` when it is not the client's, archived, or Meta refused it
    at the last test."""
    number = get_number(client_id, number_id)
    if number is not None and number.archived_at is not None:
        raise NoCredentials(_("Este número do WhatsApp foi removido: escolha outro número."))
    return usable(number)


# --------------------------------------------------------------------------- input


def _display_name(value: object) -> str | None:
    """The client's name for the number; None when left empty (Meta's name is used)."""
    text = " ".join(str(value or "").split())
    if not text:
        return None
    if len(text) > DISPLAY_NAME_MAX:
        raise CredentialError(
            "display_name",
            _("O nome do número tem no máximo %(max)s caracteres.", max=DISPLAY_NAME_MAX),
        )
    return text


def _default_name(number: WhatsAppCredential) -> str:
    return number.verified_name or number.display_phone_number or number.phone_number_id


def _store_secrets(
    number: WhatsAppCredential,
    data: dict,
    *,
    token: str | None,
    app_secret: str | None,
    verify_token: str | None,
) -> None:
    """Encrypt what was typed; an empty secret keeps the stored one unless cleared."""
    if token is not None:
        number.access_token_enc = encrypt(token)
        number.token_last4 = last4(token)
    if app_secret is not None:
        number.app_secret_enc = encrypt(app_secret)
    elif data.get("clear_app_secret"):
        number.app_secret_enc = None
    if verify_token is not None:
        number.verify_token_sha256 = hashlib.sha256(verify_token.encode()).hexdigest()
    elif data.get("clear_verify_token"):
        number.verify_token_sha256 = None


def _optional_secrets(data: dict) -> tuple[str | None, str | None]:
    app_secret = clean_secret(
        data.get("app_secret"), "app_secret", _("o app secret"), required=False
    )
    verify_token = clean_secret(
        data.get("verify_token"), "verify_token", _("o token de verificação"), required=False
    )
    return app_secret, verify_token


def _routing_changed(number: WhatsAppCredential) -> None:
    """This process routes and verifies by the new row at once (others within seconds)."""
    route_cache.forget(number.phone_number_id)
    clear_secret_cache()


def _commit_or_taken(number: WhatsAppCredential, waba_numbers: list[dict]) -> None:
    db.session.add(number)
    try:
        db.session.commit()
    except IntegrityError:  # another client took the number between our check and commit
        db.session.rollback()
        raise taken_refusal(waba_numbers, number.phone_number_id) from None


# --------------------------------------------------------------------------- writes


def add_number(
    client: Client, data: dict, *, ai_settings: dict | None = None
) -> WhatsAppCredential:
    """Validate live against Meta, then add the number (or un-archive it: same row).

    ``data``: display_name, access_token, waba_id, phone_number_id, app_id, app_secret,
    verify_token. A number the client already has (not archived) is refused: edit it.
    ``ai_settings``: the number's assistant overrides, already checked
    (``number_assistant.prepare_ai_settings``).
    """
    token = clean_secret(data.get("access_token"), "access_token", _("o token de acesso"),
                         required=True)  # fmt: skip
    waba_id = clean_id(data.get("waba_id"), "waba_id", "WABA id")
    phone_number_id = clean_id(data.get("phone_number_id"), "phone_number_id", "phone number id")
    app_id = clean_id(data.get("app_id"), "app_id", "app id", required=False)
    app_secret, verify_token = _optional_secrets(data)
    name = _display_name(data.get("display_name"))
    assert token is not None and waba_id is not None and phone_number_id is not None
    own = db.session.scalar(
        sa.select(WhatsAppCredential).where(
            WhatsAppCredential.client_id == client.id,
            WhatsAppCredential.phone_number_id == phone_number_id,
        )
    )
    if own is not None and own.archived_at is None:
        raise CredentialError(
            "phone_number_id",
            _("Este número já está cadastrado (%(name)s): altere-o na lista de números.",
              name=own.display_name or own.phone_number_id),
        )  # fmt: skip
    meta, waba_numbers = check_live(token, waba_id, phone_number_id, client.id)

    number = own or WhatsAppCredential(client_id=client.id, phone_number_id=phone_number_id)
    number.archived_at = None
    if own is None or ai_settings is not None:  # a re-added number keeps its assistant
        number.ai_settings = ai_settings
    number.waba_id = waba_id
    number.app_id = app_id
    _store_secrets(number, data, token=token, app_secret=app_secret, verify_token=verify_token)
    apply_number(number, meta)
    number.display_name = name or (own.display_name if own else "") or _default_name(number)
    _commit_or_taken(number, waba_numbers)
    _routing_changed(number)
    audit_record(Action.CREDENTIAL_CREATED, number, client_id=client.id, kind="whatsapp",
                 phone=phone_number_id, name=number.display_name,
                 unarchived=own is not None)  # fmt: skip
    return number


def update_number(client: Client, number_id: int, data: dict) -> WhatsAppCredential:
    """Change a number's name, token, app id, app secret or verify token.

    Only the keys present in ``data`` change; an empty secret keeps the stored one
    (``clear_app_secret`` / ``clear_verify_token`` remove them). A new token is tested
    live first (it must still open the number's WABA and number); nothing is stored when
    Meta refuses it. The WABA and phone number id are the number itself: to use another
    number, add it.
    """
    number = require_active_number(client.id, number_id)
    token = clean_secret(data.get("access_token"), "access_token", _("o token de acesso"),
                         required=False)  # fmt: skip
    app_secret, verify_token = _optional_secrets(data)
    name = _display_name(data.get("display_name")) if "display_name" in data else None
    app_id = clean_id(data.get("app_id"), "app_id", "app id", required=False)
    if token is not None:
        meta, _numbers = check_live(token, number.waba_id, number.phone_number_id, client.id)
        apply_number(number, meta)
    if "display_name" in data:
        number.display_name = name or _default_name(number)
    if "app_id" in data:
        number.app_id = app_id
    _store_secrets(number, data, token=token, app_secret=app_secret, verify_token=verify_token)
    fields = [k for k in ("display_name", "app_id") if k in data]
    fields += [k for k in ("access_token", "app_secret", "verify_token") if data.get(k)]
    fields += [k for k in ("clear_app_secret", "clear_verify_token") if data.get(k)]
    db.session.commit()
    _routing_changed(number)
    audit_record(Action.CREDENTIAL_CHANGED, number, client_id=client.id, kind="whatsapp",
                 phone=number.phone_number_id, name=number.display_name,
                 fields=fields)  # fmt: skip
    return number


def retest_number(client: Client, number_id: int) -> WhatsAppCredential:
    """Re-run the live test on the stored number (status, Meta's facts, last error)."""
    number = require_active_number(client.id, number_id)
    retest(number)
    db.session.commit()
    return number


def archive_number(client: Client, number_id: int) -> WhatsAppCredential:
    """Remove the number: secrets wiped, no longer routed or used; its history stays."""
    number = require_number(client.id, number_id)
    if number.archived_at is not None:
        return number
    number.archived_at = utcnow()
    number.access_token_enc = ""
    number.token_last4 = ""
    number.app_secret_enc = None
    number.verify_token_sha256 = None
    db.session.commit()
    _routing_changed(number)
    audit_record(Action.CREDENTIAL_REMOVED, number, client_id=client.id, kind="whatsapp",
                 phone=number.phone_number_id, name=number.display_name)  # fmt: skip
    return number


# ------------------------------------------------------------ the first number (as before)


def save_whatsapp_credentials(client: Client, data: dict) -> WhatsAppCredential:
    """Validate live against Meta, then create or replace the client's *first* number.

    What the single credential did before numbers existed (the ``/whatsapp-credentials``
    API keeps it). ``data``: access_token, waba_id, phone_number_id, app_id, app_secret,
    verify_token (+ ``clear_app_secret``). An empty secret keeps the stored one. Without
    a first number this adds one (un-archiving the row when it is an archived number).
    """
    existing = get_whatsapp_credential(client.id)
    if existing is None:
        return add_number(client, data)
    token = clean_secret(data.get("access_token"), "access_token", _("o token de acesso"),
                         required=False)  # fmt: skip
    waba_id = clean_id(data.get("waba_id"), "waba_id", "WABA id")
    phone_number_id = clean_id(data.get("phone_number_id"), "phone_number_id", "phone number id")
    app_id = clean_id(data.get("app_id"), "app_id", "app id", required=False)
    app_secret, verify_token = _optional_secrets(data)
    assert waba_id is not None and phone_number_id is not None
    if phone_number_id != existing.phone_number_id and db.session.scalar(
        sa.select(WhatsAppCredential.id).where(
            WhatsAppCredential.client_id == client.id,
            WhatsAppCredential.phone_number_id == phone_number_id,
        )
    ):
        raise CredentialError(
            "phone_number_id",
            _("Este número já é outro número deste cliente: altere-o na lista de números."),
        )
    if token is None:
        token = decrypt(existing.access_token_enc)
    meta, waba_numbers = check_live(token, waba_id, phone_number_id, client.id)
    replaced = phone_number_id != existing.phone_number_id
    old_phone = existing.phone_number_id
    existing.waba_id = waba_id
    existing.phone_number_id = phone_number_id
    existing.app_id = app_id
    _store_secrets(existing, data, token=token, app_secret=app_secret, verify_token=verify_token)
    apply_number(existing, meta)
    if replaced or not existing.display_name:
        existing.display_name = _default_name(existing)
    _commit_or_taken(existing, waba_numbers)
    route_cache.forget(old_phone)
    _routing_changed(existing)
    audit_record(Action.CREDENTIAL_CHANGED, existing, client_id=client.id, kind="whatsapp",
                 phone=phone_number_id)  # fmt: skip
    return existing


def retest_whatsapp(client: Client) -> WhatsAppCredential:
    """Re-run the live test on the first number (see :func:`retest_number`)."""
    credential = get_whatsapp_credential(client.id)
    if credential is None:
        raise NoCredentials(_("Este cliente ainda não configurou as credenciais do WhatsApp."))
    return retest_number(client, credential.id)
