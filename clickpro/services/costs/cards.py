"""Rate cards: the default Brazil card, which card applies when, and the price lookup.

Which card prices a message of a client at time ``t``: the client's own card valid at
``t`` (latest ``valid_from`` not after ``t``, ``valid_to`` empty or later), else the
platform card valid at ``t``. A client card without rates of its own marks up the
platform card valid at ``t`` by its ``markup_pct``; with rates, its rates (plus its
markup, usually 0) are the price.

The platform default card is seeded on first use (:func:`ensure_default_card`), not by
the migration: every code path that prices a message calls it, so a fresh database, a
test database emptied between tests and an upgraded one all get the same card.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from clickpro.extensions import db
from clickpro.models import RateCard, RateCardRate
from clickpro.services.costs.markets import OTHER

DEFAULT_CARD_NAME = "Meta — Brasil (padrão)"
# Meta's Brazil rates in USD per delivered message (reference/whatsapp-2026.md §2):
# utility and authentication 0.68 cents from Meta's pricing page of 1 Jul 2026;
# marketing 6.25 cents from TalkAll (Jan 2026), a BSP figure (SleekFlow disagrees).
# Service messages are charged at the utility rate since 1 Oct 2026 (Meta); the
# ``pricing.type`` of each status still says when a message was free.
DEFAULT_CARD = {
    "name": DEFAULT_CARD_NAME,
    "currency": "USD",
    "valid_from": datetime(2025, 7, 1, tzinfo=UTC),  # per-message pricing started
    "source": (
        "Meta, Pricing on the WhatsApp Business Platform (1 Jul 2026): utility/"
        "authentication US$ 0.0068 (BR); marketing US$ 0.0625 per TalkAll (Jan 2026)"
    ),
    "source_date": date(2026, 7, 1),
    "rates": {
        ("marketing", "BR"): Decimal("0.0625"),
        ("marketing_lite", "BR"): Decimal("0.0625"),
        ("utility", "BR"): Decimal("0.0068"),
        ("authentication", "BR"): Decimal("0.0068"),
        ("authentication_international", "BR"): Decimal("0.0068"),
        ("service", "BR"): Decimal("0.0068"),
    },
}

# Meta's pricing categories (status reference spelling normalised to underscores).
CATEGORIES = (
    "marketing",
    "marketing_lite",
    "utility",
    "authentication",
    "authentication_international",
    "service",
    "referral_conversion",
    "group_marketing",
    "group_utility",
    "group_service",
    "general_purpose_ai",
)
# A category without its own price falls back to its parent's.
_FALLBACK = {
    "marketing_lite": "marketing",
    "authentication_international": "authentication",
    "group_marketing": "marketing",
    "group_utility": "utility",
    "group_service": "service",
}


def normalize_category(value: str | None) -> str:
    """``authentication-international`` / ``MARKETING`` → ``authentication_international`` …"""
    return str(value or "").strip().lower().replace("-", "_")


@dataclass(frozen=True)
class Card:
    """A resolved card: where prices come from, and the markup to apply on top."""

    id: int
    client_id: int | None
    name: str
    currency: str
    markup_pct: Decimal
    rates: dict[tuple[str, str], Decimal]

    def price(self, category: str, market: str) -> Decimal | None:
        """Price of one delivered message, markup included; None when not on the card."""
        category = normalize_category(category)
        tried = [category]
        if category in _FALLBACK:
            tried.append(_FALLBACK[category])
        for cat in tried:
            for mkt in (market, OTHER):
                base = self.rates.get((cat, mkt))
                if base is not None:
                    factor = 1 + self.markup_pct / 100
                    return (base * factor).quantize(Decimal("0.000001"))
        return None


def ensure_default_card() -> int:
    """The platform default card's id, inserted (once) when there is no platform card."""
    existing = db.session.scalar(
        sa.select(RateCard.id).where(RateCard.client_id.is_(None)).order_by(RateCard.id).limit(1)
    )
    if existing is not None:
        return existing
    # Not committed here (the caller's transaction may hold other work): until it is,
    # nothing read in this session is cached (a rollback would leave a stale card id).
    db.session.info[_UNCOMMITTED] = True
    card = RateCard(
        client_id=None,
        name=DEFAULT_CARD["name"],
        currency=DEFAULT_CARD["currency"],
        valid_from=DEFAULT_CARD["valid_from"],
        source=DEFAULT_CARD["source"],
        source_date=DEFAULT_CARD["source_date"],
        markup_pct=Decimal("0"),
    )
    db.session.add(card)
    db.session.flush()
    rates: dict = DEFAULT_CARD["rates"]  # type: ignore[assignment]
    for (category, market), price in rates.items():
        db.session.add(RateCardRate(card_id=card.id, category=category, market=market, price=price))
    db.session.flush()
    return card.id


@dataclass(frozen=True)
class _Stored:
    id: int
    client_id: int | None
    name: str
    currency: str
    valid_from: datetime
    valid_to: datetime | None
    markup_pct: Decimal
    rates: dict[tuple[str, str], Decimal]

    def valid_at(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or self.valid_to > at)


_CACHE_TTL_S = 30.0
_UNCOMMITTED = "clickpro.default_card_uncommitted"


@sa.event.listens_for(Session, "after_commit")
def _seed_committed(session: Session) -> None:
    session.info.pop(_UNCOMMITTED, None)


def _cache() -> dict:
    """Per app and process; a card loaded elsewhere applies here within ``_CACHE_TTL_S``."""
    return current_app.extensions.setdefault("clickpro.rate_cards", {})


def clear_cache() -> None:
    _cache().clear()


def _stored(owner: int | None) -> list[_Stored]:
    """The cards of ``owner`` (None: the platform), newest first, with their rates."""
    cache = _cache()
    hit = cache.get(owner)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    where = RateCard.client_id.is_(None) if owner is None else RateCard.client_id == owner
    cards = list(
        db.session.scalars(
            sa.select(RateCard)
            .where(where)
            .order_by(RateCard.valid_from.desc(), RateCard.id.desc())
        )
    )
    rates: dict[int, dict[tuple[str, str], Decimal]] = {card.id: {} for card in cards}
    if cards:
        rows = db.session.execute(
            sa.select(
                RateCardRate.card_id, RateCardRate.category, RateCardRate.market, RateCardRate.price
            ).where(RateCardRate.card_id.in_(list(rates)))
        ).all()
        for row in rows:
            rates[row.card_id][(row.category, row.market)] = Decimal(row.price)
    result = [
        _Stored(c.id, c.client_id, c.name, c.currency, c.valid_from, c.valid_to,
                Decimal(c.markup_pct), rates[c.id])
        for c in cards
    ]  # fmt: skip
    if db.session.info.get(_UNCOMMITTED):
        return result
    if len(cache) > 5000:
        cache.clear()
    cache[owner] = (time.monotonic() + _CACHE_TTL_S, result)
    return result


def _valid(owner: int | None, at: datetime) -> _Stored | None:
    return next((card for card in _stored(owner) if card.valid_at(at)), None)


def card_for(client_id: int, at: datetime) -> Card | None:
    """The card that prices ``client_id``'s messages at ``at`` (see the module doc)."""
    if not _stored(None):
        ensure_default_card()
        _cache().pop(None, None)
    platform = _valid(None, at)
    own = _valid(client_id, at)
    if own is not None:
        if own.rates:
            return Card(own.id, client_id, own.name, own.currency, own.markup_pct, own.rates)
        if platform is not None:
            return Card(
                own.id, client_id, own.name, platform.currency, own.markup_pct, platform.rates
            )
    if platform is None:
        return None
    return Card(platform.id, None, platform.name, platform.currency, Decimal("0"), platform.rates)
