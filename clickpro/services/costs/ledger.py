"""The cost ledger: a status webhook's ``pricing`` object stored on its message.

Meta attaches ``pricing`` to ``sent`` and to one of ``delivered``/``read``. The first one
seen is stored (one conditional ``UPDATE … WHERE pricing_category IS NULL``: repeats and
any arrival order leave the same row), with the cost derived from the rate card valid at
that status's time. ``type`` free_customer_service / free_entry_point, or
``billable: false``, cost 0. A message whose market is not on the card keeps its pricing
with no cost (counted apart as "sem preço"). Meta only charges delivered messages, so the
reports add up the cost of DELIVERED/READ rows; the stored cost is the price that
delivery costs, fixed when the pricing arrived.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from clickpro.extensions import db, rowcount
from clickpro.models import Contact, Message
from clickpro.services.costs.cards import card_for, normalize_category
from clickpro.services.costs.markets import OTHER, market_of

FREE_TYPES = frozenset({"free_customer_service", "free_entry_point"})
_messages = Message.__table__


def is_free(pricing: dict) -> bool:
    kind = str(pricing.get("type") or "").lower()
    return kind in FREE_TYPES or pricing.get("billable") is False


def recipient_market(status: dict | None, contact_id: int) -> str:
    """From the status (phone, else the BSUID's country prefix), else the contact's phone."""
    status = status or {}
    market = market_of(status.get("recipient_id"))
    if market != OTHER:
        return market
    user_id = str(status.get("recipient_user_id") or "")
    if len(user_id) > 3 and user_id[2] == "." and user_id[:2].isalpha():
        return user_id[:2].upper()
    phone = db.session.scalar(sa.select(Contact.phone_e164).where(Contact.id == contact_id))
    return market_of(phone)


def pricing_values(
    client_id: int, pricing: dict, at: datetime, market: str
) -> dict[str, Any] | None:
    """The ledger columns for one ``pricing`` object (None if it names no category)."""
    category = normalize_category(pricing.get("category"))
    if not category:
        return None
    billable = pricing.get("billable")
    values: dict[str, Any] = {
        "pricing_model": str(pricing.get("pricing_model") or "")[:8] or None,
        "pricing_category": category[:40],
        "pricing_type": str(pricing.get("type") or ("regular" if billable else ""))[:32] or None,
        "billable": billable if isinstance(billable, bool) else None,
    }
    card = card_for(client_id, at)
    if card is not None:
        values["rate_card_id"] = card.id
        values["cost_currency"] = card.currency
        values["cost"] = Decimal("0") if is_free(pricing) else card.price(category, market)
    elif is_free(pricing):
        values["cost"] = Decimal("0")
    return values


def record_pricing(
    client_id: int,
    message_id: int,
    contact_id: int,
    pricing: Any,
    at: datetime,
    *,
    status: dict | None = None,
    phone_number_id: str | None = None,
) -> bool:
    """Store ``pricing`` on the message unless it already has one; True if stored."""
    if not isinstance(pricing, dict):
        return False
    market = recipient_market(status, contact_id)
    values = pricing_values(client_id, pricing, at, market)
    if values is None:
        return False
    if phone_number_id:
        values["pricing_number"] = str(phone_number_id)[:64]
    c = _messages.c
    stored = db.session.execute(
        sa.update(_messages)
        .where(c.id == message_id, c.client_id == client_id, c.pricing_category.is_(None))
        .values(**values)
    )
    return bool(rowcount(stored))
