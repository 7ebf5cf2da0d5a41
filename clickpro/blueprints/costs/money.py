"""Money in the reader's locale: ``R$ 312,50`` in pt_BR, ``$312.50`` in English."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_currency


def money(amount: Decimal | float | None, currency: str | None, *, unit: bool = False) -> str:
    """Two decimals for totals; up to four for a per-message price (``unit``)."""
    if amount is None or not currency:
        return "—"
    value = Decimal(str(amount))
    if unit:
        value = value.quantize(Decimal("0.0001"), ROUND_HALF_UP)
        return format_currency(value, currency, format="¤ #,##0.00##", currency_digits=False)
    # Half up, as people round money (Babel's default is half even: 3,125 → 3,12).
    return format_currency(value.quantize(Decimal("0.01"), ROUND_HALF_UP), currency)
