"""Loading a new rate card from a CSV (super admin upload and ``clickpro rates load``).

CSV: a header ``category,market,price`` (``categoria;mercado;preco`` with semicolons and
decimal commas, as a Brazilian spreadsheet exports it, is accepted too), one row per
price. ``market`` is an ISO 3166 alpha-2 code or ``*`` (every other market). A card is
only ever added, never edited: messages already priced keep their cost.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import Client, RateCard, RateCardRate
from clickpro.services.costs.cards import CATEGORIES, clear_cache, normalize_category
from clickpro.services.costs.markets import OTHER

MAX_ROWS = 5000
_HEADERS = {
    "category": "category",
    "categoria": "category",
    "market": "market",
    "mercado": "market",
    "país": "market",
    "pais": "market",
    "price": "price",
    "preco": "price",
    "preço": "price",
}


class RateCardError(ValueError):
    """A card that cannot be loaded as given (shown to the super admin)."""


@dataclass(frozen=True)
class CardSpec:
    name: str
    currency: str
    valid_from: datetime
    valid_to: datetime | None = None
    source: str = ""
    source_date: date | None = None
    client_id: int | None = None
    markup_pct: Decimal = Decimal("0")


def parse_rates(text: str) -> dict[tuple[str, str], Decimal]:
    """The (category, market) → price of a CSV text; RateCardError names the bad line."""
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise RateCardError(_("O arquivo está vazio."))
    columns = [_HEADERS.get(h.strip().lower()) for h in header]
    if sorted(c for c in columns if c) != ["category", "market", "price"]:
        raise RateCardError(_("O cabeçalho deve ter as colunas category, market e price."))
    rates: dict[tuple[str, str], Decimal] = {}
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(rates) >= MAX_ROWS:
            raise RateCardError(_("Mais de %(n)s preços no arquivo.", n=MAX_ROWS))
        values = {
            col: (row[i].strip() if i < len(row) else "") for i, col in enumerate(columns) if col
        }
        category = normalize_category(values["category"])
        if category not in CATEGORIES:
            raise RateCardError(
                _(
                    "Linha %(line)s: categoria desconhecida: %(value)s.",
                    line=line_no,
                    value=values["category"][:40],
                )
            )
        market = values["market"].upper()
        if market != OTHER and not (len(market) == 2 and market.isalpha()):
            raise RateCardError(
                _("Linha %(line)s: mercado deve ser um código de país (BR) ou *.", line=line_no)
            )
        price = _decimal(values["price"], delimiter)
        if price is None or price < 0 or price > 1000:
            raise RateCardError(_("Linha %(line)s: preço inválido.", line=line_no))
        if (category, market) in rates:
            raise RateCardError(
                _(
                    "Linha %(line)s: preço repetido para %(category)s/%(market)s.",
                    line=line_no,
                    category=category,
                    market=market,
                )
            )
        rates[(category, market)] = price
    if not rates:
        raise RateCardError(_("O arquivo não tem nenhum preço."))
    return rates


def _decimal(value: str, delimiter: str) -> Decimal | None:
    cleaned = value.replace(" ", "")
    if delimiter == ";" or ("," in cleaned and "." not in cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        result = Decimal(cleaned)
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def parse_day(value: str | date | datetime | None, *, field: str) -> datetime | None:
    """``2026-07-01`` → that day at 00:00 UTC; RateCardError on anything else."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        raise RateCardError(
            _("%(field)s: use a data no formato AAAA-MM-DD.", field=field)
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def check_spec(spec: CardSpec) -> None:
    if not spec.name.strip():
        raise RateCardError(_("Dê um nome ao cartão de preços."))
    currency = spec.currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise RateCardError(_("Moeda deve ser um código ISO de 3 letras (BRL, USD)."))
    if spec.valid_to is not None and spec.valid_to <= spec.valid_from:
        raise RateCardError(_("O fim da validade deve ser depois do início."))
    if spec.markup_pct < 0 or spec.markup_pct > 1000:
        raise RateCardError(_("Margem deve estar entre 0 e 1000%."))
    if spec.client_id is not None and db.session.get(Client, spec.client_id) is None:
        raise RateCardError(_("Cliente não encontrado."))


def load_card(spec: CardSpec, rates: dict[tuple[str, str], Decimal] | None) -> RateCard:
    """Add a card (and its rates) and commit. A client card may come without rates: it then
    marks up the platform card by ``markup_pct``."""
    check_spec(spec)
    if not rates and spec.client_id is None:
        raise RateCardError(_("O cartão da plataforma precisa de preços."))
    card = RateCard(
        client_id=spec.client_id,
        name=spec.name.strip()[:200],
        currency=spec.currency.strip().upper(),
        valid_from=spec.valid_from,
        valid_to=spec.valid_to,
        source=spec.source.strip()[:500],
        source_date=spec.source_date,
        markup_pct=spec.markup_pct,
    )
    db.session.add(card)
    db.session.flush()
    for (category, market), price in (rates or {}).items():
        db.session.add(RateCardRate(card_id=card.id, category=category, market=market, price=price))
    db.session.commit()
    clear_cache()
    return card
