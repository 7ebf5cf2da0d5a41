"""BSUIDs (business-scoped user ids) typed by people: API bodies, forms, spreadsheets.

The format is Meta's (reference §1 "Format and scope"): an ISO country code, a dot, an
optional ``ENT.`` (parent BSUID) and up to 128 letters/digits. A value is kept exactly as
given (Meta refuses a changed BSUID); only surrounding spaces are removed.
"""

from __future__ import annotations

from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.integrations.meta.messages import BSUID_PATTERN, is_bsuid

__all__ = ["BSUID_PATTERN", "InvalidBsuid", "is_bsuid", "normalize_bsuid"]

# The columns (contacts.bsuid, opt_outs.bsuid) hold the longest documented form.
MAX_LENGTH = 2 + 1 + 4 + 128


class InvalidBsuid(ServiceError, ValueError):
    """Not a BSUID: ``message`` says what one looks like."""

    code = "invalid_bsuid"
    field = "bsuid"

    def __init__(self, message: str = "") -> None:
        ServiceError.__init__(self, message or invalid_message())

    def __reduce__(self) -> tuple[type[InvalidBsuid], tuple[str]]:
        return (type(self), (self.message,))


def invalid_message() -> str:
    return _(
        "BSUID inválido: use o código do país em maiúsculas, um ponto e o identificador "
        "(letras e números, até 128), por exemplo BR.1502576394655843 ou "
        "BR.ENT.11815799212886844830."
    )


def normalize_bsuid(raw: object) -> str:
    """``raw`` without surrounding spaces, or :class:`InvalidBsuid`."""
    text = "" if raw is None else str(raw).strip()
    if not is_bsuid(text):
        raise InvalidBsuid()
    return text
