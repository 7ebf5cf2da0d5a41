"""Meta's codes as pt_BR words on the console (the code stays in the badge's title)."""

from __future__ import annotations

from flask_babel import gettext as _

_TIERS = {
    "TIER_50": "50",
    "TIER_250": "250",
    "TIER_1K": "1.000",
    "TIER_2K": "2.000",
    "TIER_10K": "10.000",
    "TIER_100K": "100.000",
}


def quality(code: str | None) -> str:
    value = (code or "").upper()
    if value in ("GREEN", "HIGH"):
        return _("Alta")
    if value in ("YELLOW", "MEDIUM"):
        return _("Média")
    if value in ("RED", "LOW", "FLAGGED"):
        return _("Baixa")
    return _("sem dado")


def tier(code: str | None) -> str:
    """``TIER_10K`` → "10.000/dia"; unknown codes are shown as they are."""
    value = (code or "").upper()
    if not value or value == "TIER_NOT_SET":
        return "—"
    if value in ("TIER_UNLIMITED", "UNLIMITED", "-1"):
        return _("ilimitado")
    number = _TIERS.get(value) or (value if value.isdigit() else None)
    if number is None:
        return code or "—"
    return _("%(n)s/dia", n=number)


def credential(status: str | None) -> str:
    if status == "INVALID":
        return _("credencial inválida")
    if status == "UNVERIFIED":
        return _("não verificada")
    return status or "—"
