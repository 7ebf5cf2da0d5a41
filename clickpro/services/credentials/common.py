"""What every credential operation shares: errors, the cleaning of pasted values and
marking a credential the provider refused as invalid."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import CredentialStatus, OpenAICredential, WhatsAppCredential
from clickpro.services.accounts.notifications import notify

ID_DIGITS_MIN, ID_DIGITS_MAX = 5, 32  # Meta's ids (WABA, phone number, app) are digits
_DIGITS = re.compile(rf"^[0-9]{{{ID_DIGITS_MIN},{ID_DIGITS_MAX}}}$")


SECRET_MAX = 4096


class CredentialError(ServiceError, ValueError):
    """Bad input or a refused live test. ``field`` is the form field (None: the whole form)."""

    def __init__(self, field: str | None, message: str) -> None:
        ServiceError.__init__(self, message)
        self.field = field


class ServiceUnreachable(CredentialError):
    """Meta/OpenAI could not be reached (timeout, connection): nothing was decided."""

    code = "upstream_unreachable"
    http_status = 502


class NoCredentials(ServiceError, LookupError):
    """The client has no usable credential of that kind (missing or invalid)."""

    code = "no_credentials"
    http_status = 409


def clean_secret(value: str | None, field: str, label: str, *, required: bool) -> str | None:
    """A pasted token/key: surrounding whitespace stripped, inner whitespace refused.

    ``None`` (not required and left empty) means "keep the stored one".
    """
    text = (value or "").strip()
    if not text:
        if required:
            raise CredentialError(field, _("Informe %(label)s.", label=label))
        return None
    if any(ch.isspace() for ch in text):
        raise CredentialError(
            field,
            _(
                "%(label)s contém espaços ou quebras de linha no meio: copie-o de novo, sem cortes.",
                label=label[:1].upper() + label[1:],
            ),
        )
    if not text.isascii() or not text.isprintable():
        raise CredentialError(
            field,
            _(
                "%(label)s tem caracteres inválidos (acentos ou símbolos que não existem em chaves): copie-o de novo.",
                label=label[:1].upper() + label[1:],
            ),
        )
    if len(text) > SECRET_MAX:
        raise CredentialError(
            field,
            _(
                "%(label)s tem no máximo %(max)s caracteres (tem %(n)s): copie só a chave.",
                label=label[:1].upper() + label[1:],
                max=SECRET_MAX,
                n=len(text),
            ),
        )
    return text


def clean_id(value: str | None, field: str, label: str, *, required: bool = True) -> str | None:
    """A numeric Meta id (WABA, phone number, app)."""
    text = (value or "").strip()
    if not text:
        if required:
            raise CredentialError(field, _("Informe o %(label)s.", label=label))
        return None
    if not _DIGITS.match(text):
        raise CredentialError(
            field,
            _(
                "O %(label)s tem de %(min)s a %(max)s dígitos, só números (você informou %(n)s "
                "caracteres%(extra)s).",
                label=label,
                min=ID_DIGITS_MIN,
                max=ID_DIGITS_MAX,
                n=len(text),
                extra=_(", com letras ou símbolos") if not text.isdigit() else "",
            ),
        )
    return text


def mark_invalid(
    credential: WhatsAppCredential | OpenAICredential | None,
    client_id: int,
    reason: str,
    message: str,
) -> None:
    """The provider refused a stored credential during normal use: mark it INVALID (keeping
    ``reason`` as its last error) and notify the client's admins with ``message``.

    Nothing happens when there is no credential or it is already INVALID.
    """
    if credential is None or credential.status == CredentialStatus.INVALID:
        return
    credential.status = CredentialStatus.INVALID
    credential.last_error = reason[:1000]
    db.session.commit()
    notify(client_id, "credentials", message)  # the web layer links it to Credentials
