"""The rules for what a person may type into a client's identity, in one place.

Flask-Admin, the ``create-client`` command and the account services all call these
functions, so a time zone Flask-Admin accepts is one the dashboard can load, and a slug
the CLI accepts is one the admin would accept too. ``column_length`` is how forms and
API bodies take their ``max`` from the model column instead of repeating the number.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.models import Client

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "America/Sao_Paulo"
SLUG_MIN = 2
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class InvalidValue(ServiceError, ValueError):
    """A value that breaks a rule; ``field`` names the input, ``str()`` says the rule."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


def column_length(attribute) -> int:
    """The ``String(n)`` length of a mapped column (``Client.slug`` → 80)."""
    column = attribute.property.columns[0]
    length = getattr(column.type, "length", None)
    if not length:
        raise TypeError(f"{attribute} is not a bounded string column")
    return int(length)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_timezone(name: str | None) -> str:
    """An IANA time zone name (``America/Recife``); anything else raises ``InvalidValue``."""
    name = (name or "").strip()
    if not name:
        raise InvalidValue("timezone", _("Informe o fuso horário (ex.: America/Sao_Paulo)."))
    if len(name) > column_length(Client.timezone) or name not in _zones():
        raise InvalidValue(
            "timezone",
            _(
                "“%(name)s” não é um fuso horário IANA: use um nome como America/Sao_Paulo, "
                "America/Recife ou America/Manaus.",
                name=name[:80],
            ),
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            "timezone", _("O fuso horário “%(name)s” não pode ser carregado.", name=name)
        ) from None
    return name


def safe_zone(name: str | None) -> ZoneInfo:
    """The zone ``name`` or, when it cannot be loaded (a bad value stored before the
    admin validated it), America/Sao_Paulo with a warning in the log: a page never
    becomes a 500 because of a client's stored time zone."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("invalid stored time zone %r, using %s", name, DEFAULT_TIMEZONE)
    return ZoneInfo(DEFAULT_TIMEZONE)


def safe_zone_name(name: str | None) -> str:
    return str(safe_zone(name).key)


def validate_slug(slug: str | None) -> str:
    """2–80 characters: lowercase ASCII letters, digits and single hyphens inside."""
    slug = (slug or "").strip()
    high = column_length(Client.slug)
    if not (SLUG_MIN <= len(slug) <= high) or not SLUG_RE.match(slug):
        raise InvalidValue(
            "slug",
            _(
                "O slug tem de %(min)s a %(max)s caracteres: letras minúsculas sem acento, "
                "números e hífens (sem hífen no início, no fim ou dois seguidos).",
                min=SLUG_MIN,
                max=high,
            ),
        )
    return slug


def validate_name(name: str | None, attribute=Client.name, *, field: str = "name") -> str:
    """A trimmed, non-empty name that fits ``attribute``'s column."""
    name = " ".join((name or "").split())
    high = column_length(attribute)
    if not name or len(name) > high:
        raise InvalidValue(
            field, _("O nome tem de 1 a %(max)s caracteres (tem %(n)s).", max=high, n=len(name))
        )
    return name


def check_length(value: str | None, attribute, *, field: str, label: str) -> str:
    """``value`` when it fits ``attribute``'s column; else a clear ``InvalidValue``."""
    value = value or ""
    high = column_length(attribute)
    if len(value) > high:
        raise InvalidValue(
            field,
            _(
                "%(label)s tem no máximo %(max)s caracteres (tem %(n)s).",
                label=label,
                max=high,
                n=len(value),
            ),
        )
    return value
