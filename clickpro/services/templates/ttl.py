"""Message time-to-live of a template (``message_send_ttl_seconds``, Meta).

Meta makes the TTL a property of the *template*, with a range per category (reference
whatsapp-2026.md §4): a message not delivered within it is dropped instead of arriving
late (a flash sale announced after it ended). Left out, Meta's default applies (30 days;
10 minutes for Authentication). On Marketing templates it only applies to sends through
the Marketing Messages API.

Pure logic (gettext only), used by ``validate_draft``, the form and the detail page.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, ngettext

MINUTE, HOUR, DAY = 60, 3600, 86400
# category → (min, max) seconds, both inclusive.
TTL_RANGES: dict[str, tuple[int, int]] = {
    "MARKETING": (12 * HOUR, 30 * DAY),
    "UTILITY": (30, 12 * HOUR),
    "AUTHENTICATION": (30, 15 * MINUTE),
}
# Form units, largest first (the form shows a stored value in the largest exact unit).
UNITS: dict[str, int] = {"days": DAY, "hours": HOUR, "minutes": MINUTE, "seconds": 1}


def _days(n: int) -> str:
    return ngettext("%(num)s dia", "%(num)s dias", n)


def _hours(n: int) -> str:
    return ngettext("%(num)s hora", "%(num)s horas", n)


def _minutes(n: int) -> str:
    return ngettext("%(num)s minuto", "%(num)s minutos", n)


def _seconds(n: int) -> str:
    return ngettext("%(num)s segundo", "%(num)s segundos", n)


def format_duration(seconds: int) -> str:
    """3600 → '1 hora', 5400 → '1 hora e 30 minutos', 2592000 → '30 dias' (pt_BR source)."""
    parts: list[str] = []
    rest = int(seconds)
    for size, words in ((DAY, _days), (HOUR, _hours), (MINUTE, _minutes), (1, _seconds)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(words(count))
    if not parts:
        return _seconds(0)
    if len(parts) == 1:
        return parts[0]
    return gettext("%(first)s e %(last)s", first=", ".join(parts[:-1]), last=parts[-1])


def ttl_rule(category: str) -> str:
    """The allowed range of ``category`` in words, for messages and hints."""
    low, high = TTL_RANGES[category]
    return gettext("de %(low)s a %(high)s", low=format_duration(low), high=format_duration(high))


def ttl_errors(category: str, seconds: Any) -> list[str]:
    """Messages for a TTL that Meta would refuse; [] when it is absent or valid."""
    if seconds is None:
        return []
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        return [gettext("A validade da mensagem deve ser um número inteiro de segundos.")]
    if category not in TTL_RANGES:
        return []  # the category error already says what is wrong
    low, high = TTL_RANGES[category]
    if low <= seconds <= high:
        return []
    labels = {
        "MARKETING": gettext("Marketing"),
        "UTILITY": gettext("Utilidade"),
        "AUTHENTICATION": gettext("Autenticação"),
    }
    return [
        gettext(
            "A validade da mensagem de um modelo de %(category)s deve ser %(rule)s "
            "(informado: %(value)s).",
            category=labels[category],
            rule=ttl_rule(category),
            value=format_duration(seconds) if seconds > 0 else str(seconds),
        )
    ]


def seconds_from_form(value: str, unit: str) -> tuple[int | None, str | None]:
    """(seconds, None), (None, None) when left blank, or (None, error) for bad input."""
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None, None
    size = UNITS.get(unit or "", 0)
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not size or number != number or number <= 0 or number > 10**9:
        return None, gettext("Informe a validade da mensagem como um número positivo.")
    seconds = number * size
    if seconds != int(seconds):
        return None, gettext(
            "A validade da mensagem deve ser um número inteiro de segundos: use uma unidade menor."
        )
    return int(seconds), None


def form_value(seconds: int | None) -> tuple[str, str]:
    """(number, unit) showing ``seconds`` in the largest unit that divides it exactly."""
    if seconds is None:
        return "", "hours"
    for unit, size in UNITS.items():
        if seconds % size == 0:
            return str(seconds // size), unit
    return str(seconds), "seconds"  # pragma: no cover - size 1 always divides


def ttl_from_meta(remote: dict) -> int | None:
    """``message_send_ttl_seconds`` of a template read from Meta (None when absent/odd)."""
    value = remote.get("message_send_ttl_seconds")
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
