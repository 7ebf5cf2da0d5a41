"""How report figures read in pt_BR (or the reader's language): counts, percents,
durations in business time, Δ% against the previous period."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import format_currency, format_decimal
from flask_babel import gettext as _


def money(amount: Any, currency: str | None) -> str:
    """``R$ 312,50`` in pt_BR (half up, as people round money); ``—`` without a currency."""
    if amount is None or not currency:
        return "—"
    value = Decimal(str(amount)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return format_currency(value, currency)


def category_label(value: str | None) -> str:
    """Meta's pricing category in words (the same words as the costs page)."""
    labels = {
        "marketing": _("Marketing"),
        "marketing_lite": _("Marketing (Marketing Messages API)"),
        "utility": _("Utilidade"),
        "authentication": _("Autenticação"),
        "authentication_international": _("Autenticação internacional"),
        "service": _("Atendimento"),
    }
    return labels.get(str(value or ""), str(value or "—"))


def count(value: Any) -> str:
    return "—" if value is None else format_decimal(int(value), format="#,##0")


def percent(value: Any) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.0") + "%"


def duration(seconds: Any) -> str:
    """``45 s``, ``3 min 20 s``, ``2 h 05 min``, ``3 d 4 h``."""
    if seconds is None:
        return "—"
    s = int(round(float(seconds)))
    if s < 60:
        return _("%(s)s s", s=s)
    if s < 3600:
        return _("%(m)s min %(s)02d s", m=s // 60, s=s % 60)
    if s < 86400:
        return _("%(h)s h %(m)02d min", h=s // 3600, m=(s % 3600) // 60)
    return _("%(d)s d %(h)s h", d=s // 86400, h=(s % 86400) // 3600)


def delta(value: float | None) -> str:
    """``+12,5%`` / ``−3,0%`` / ``—`` (nothing to compare with)."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return sign + format_decimal(abs(value), format="#,##0.0") + "%"


def cell(value: Any, kind: str, currency: str | None = None) -> str:
    """One table cell as the page shows it."""
    if value is None:
        return "—"
    if kind == "date":
        return value.strftime("%d/%m/%Y")
    if kind == "seconds":
        return duration(value)
    if kind == "pct":
        return percent(value)
    if kind == "money":
        return money(value, currency or "BRL")
    if kind == "decimal" and isinstance(value, float | Decimal) and not isinstance(value, int):
        return format_decimal(value, format="#,##0.00##")
    if isinstance(value, int):
        return count(value)
    return str(value)


def key_value(key: str, value: Any, currency: str) -> str:
    if key in ("frt_median", "res_median"):
        return duration(value)
    if key == "containment":
        return percent(value)
    if key == "csat":
        return "—" if value is None else format_decimal(value, format="0.0#") + " / 5"
    if key in ("cost", "ai_spend"):
        return money(value or 0, currency)
    return count(value)


# Lower is better for these: a rise is shown in red.
LOWER_IS_BETTER = frozenset({"frt_median", "res_median", "cost", "ai_spend"})
