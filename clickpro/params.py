"""Range-checked integers, dates and times from query strings, forms and JSON.

``int("99999999999999999999")`` is a Python int that SQLite cannot bind (OverflowError)
and PostgreSQL compares as numeric; ``1e23`` in JSON is a float; ``date(9999, 12, 31)``
plus one day overflows. Each of these was a 500. Every edge parses through these helpers
instead, and a bad value is a :class:`BadParameter` (400, ``field`` = the parameter)
that the HTML, inbox-JSON and API error handlers already answer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from clickpro.errors import ServiceError

MAX_ID = 2**63 - 1  # the widest integer column (and what SQLite can bind)
MAX_INT = 2**31 - 1
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
_MAX_DIGITS = 19

__all__ = [
    "MAX_ID",
    "BadParameter",
    "BoundedIntConverter",
    "arg_date",
    "arg_datetime",
    "arg_id",
    "arg_int",
    "parse_date",
    "parse_datetime",
    "parse_id",
    "parse_int",
]


class BadParameter(ServiceError, ValueError):
    """A query/form/JSON parameter that is not a valid number or date in range."""

    code = "invalid_parameter"
    http_status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


def parse_int(
    raw: Any, name: str, *, minimum: int = 0, maximum: int = MAX_INT, default: int | None = None
) -> int | None:
    """An integer in ``[minimum, maximum]``; ``None``/"" → ``default``.

    Accepts a Python int (not a bool) or a string of digits (optional sign, surrounding
    spaces); refuses floats such as ``1e23`` or ``1.0``, NUL bytes and anything longer
    than 19 digits before converting it.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return default
    if isinstance(raw, bool):
        raise _not_integer(name)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits.isascii() or not digits.isdigit() or len(digits) > _MAX_DIGITS:
            raise _not_integer(name)
        value = int(text)
    else:
        raise _not_integer(name)
    if not minimum <= value <= maximum:
        raise BadParameter(
            name,
            _(
                "%(name)s fora do intervalo (%(minimum)s a %(maximum)s).",
                name=name,
                minimum=minimum,
                maximum=maximum,
            ),  # fmt: skip
        )
    return value


def parse_id(raw: Any, name: str, *, default: int | None = None) -> int | None:
    """A row id: a positive integer that fits the database."""
    return parse_int(raw, name, minimum=1, maximum=MAX_ID, default=default)


def _not_integer(name: str) -> BadParameter:
    return BadParameter(name, _("%(name)s precisa ser um número inteiro.", name=name))


def parse_date(raw: Any, name: str) -> date | None:
    """An ISO date (AAAA-MM-DD) between 1900 and 2999; ``None``/"" → None."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    try:
        if not isinstance(raw, str) or len(raw) > 10:
            raise ValueError
        value = date.fromisoformat(raw.strip())
    except ValueError:
        raise BadParameter(
            name, _("Data inválida em %(name)s (use AAAA-MM-DD).", name=name)
        ) from None
    if not MIN_DATE <= value <= MAX_DATE:
        raise BadParameter(name, _("Data fora do intervalo em %(name)s.", name=name))
    return value


def parse_datetime(raw: Any, name: str) -> datetime | None:
    """An ISO 8601 moment (``Z`` allowed) between 1900 and 2999, made aware (UTC if naive)."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    try:
        if not isinstance(raw, str) or len(raw) > 40:
            raise ValueError
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(name, _("Data e hora inválidas em %(name)s.", name=name)) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not MIN_DATE <= value.date() <= MAX_DATE:
        raise BadParameter(name, _("Data fora do intervalo em %(name)s.", name=name))
    return value


# --------------------------------------------------------------------------- request args


def arg_int(name: str, **kwargs: Any) -> int | None:
    return parse_int(request.args.get(name), name, **kwargs)


def arg_id(name: str, default: int | None = None) -> int | None:
    return parse_id(request.args.get(name), name, default=default)


def arg_date(name: str) -> date | None:
    return parse_date(request.args.get(name), name)


def arg_datetime(name: str) -> datetime | None:
    return parse_datetime(request.args.get(name), name)


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's ``int`` converter with ``max`` defaulting to :data:`MAX_ID`."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
