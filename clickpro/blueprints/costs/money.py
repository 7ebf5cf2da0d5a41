"""Money in the reader's locale: ``R$ 312,50`` in pt_BR, ``$312.50`` in English."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import format_currency


def money(amount: Decimal | float | None, currency: str | None, *, unit: bool = False) -> str:
    """Two decimals for totals; up to four for a per-message price (``unit``)."""
    if amount is None or not currency:
        return "—"
    value = Decimal(str(amount))
    if unit:
        return format_currency(value, currency, format="¤ #,##0.00##", currency_digits=False)
    return format_currency(value, currency)
