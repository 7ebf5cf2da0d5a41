"""Estimating what a campaign will cost: template category × audience markets × the card.

Before the campaign starts the audience is the lists' eligible contacts (opted-out ones
left out); once its rows exist, the rows that will be or were sent. Recipients are
grouped by the first digits of their number (one GROUP BY, whatever the audience size)
and each group priced by its market. Every recipient is assumed to be delivered and
charged (an upper bound: free-window and undelivered messages cost less).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import (
    Campaign,
    CampaignCostEstimate,
    Contact,
    Message,
    MessageStatus,
    Template,
)
from clickpro.models.base import utcnow
from clickpro.services.campaigns.audience import _base_where, _missing, _opted_out, list_ids
from clickpro.services.campaigns.vars import POLICY_SKIP
from clickpro.services.costs.cards import card_for, normalize_category
from clickpro.services.costs.markets import market_of

_NOT_SENT = (MessageStatus.SKIPPED, MessageStatus.CANCELLED)


@dataclass
class Estimate:
    currency: str
    amount: Decimal
    category: str
    recipients: int
    unpriced: int = 0
    card_id: int | None = None
    by_market: dict[str, dict] = field(default_factory=dict)


def _prefix(column) -> sa.ColumnElement:
    """The phone's first characters ("+55…": the calling code is within 3 digits), else
    the BSUID's country prefix ("BR."): a username user without a known phone is priced
    in the market its BSUID names (reference §1: ISO-3166 code, a dot, the id)."""
    if column is Contact.phone_e164:
        return sa.func.coalesce(sa.func.substr(column, 1, 4), sa.func.substr(Contact.bsuid, 1, 3))
    return sa.func.substr(column, 1, 4)


def _market_of_prefix(prefix: str) -> str:
    if len(prefix) == 3 and prefix[2] == "." and prefix[:2].isalpha() and prefix.isascii():
        return prefix[:2].upper()  # a BSUID's country
    return market_of(prefix)


def audience_prefixes(
    client_id: int, include: list[int], exclude: list[int], variables: dict, policy: str
) -> dict[str, int]:
    """Eligible contacts of the lists by number prefix (the wizard, before saving)."""
    if not include:
        return {}
    where = [*_base_where(client_id, include, exclude), sa.not_(_opted_out(client_id))]
    if policy == POLICY_SKIP:
        where.append(sa.not_(_missing(variables)))
    prefix = _prefix(Contact.phone_e164)
    rows = db.session.execute(
        sa.select(prefix, sa.func.count()).select_from(Contact).where(*where).group_by(prefix)
    ).all()
    return {str(p or ""): int(n) for p, n in rows}


def _campaign_prefixes(campaign: Campaign) -> dict[str, int]:
    if campaign.materialized_at is None:
        include, exclude = list_ids(campaign.id)
        return audience_prefixes(
            campaign.client_id,
            include,
            exclude,
            campaign.variables or {},
            campaign.missing_value_policy,
        )
    prefix = _prefix(Contact.phone_e164)
    rows = db.session.execute(
        sa.select(prefix, sa.func.count())
        .select_from(Message)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Message.campaign_id == campaign.id, Message.status.not_in(_NOT_SENT))
        .group_by(prefix)
    ).all()
    return {str(p or ""): int(n) for p, n in rows}


def price_audience(client_id: int, category: str, prefixes: dict[str, int]) -> Estimate | None:
    """Price recipients grouped by number prefix with the client's card of today."""
    card = card_for(client_id, utcnow())
    category = normalize_category(category)
    if card is None:
        return None
    estimate = Estimate(card.currency, Decimal("0"), category, 0, card_id=card.id)
    for prefix, count in prefixes.items():
        market = _market_of_prefix(prefix)
        slot = estimate.by_market.setdefault(market, {"count": 0, "price": None})
        slot["count"] += count
        estimate.recipients += count
    for market, slot in estimate.by_market.items():
        price = card.price(category, market)
        if price is None:
            estimate.unpriced += slot["count"]
            continue
        slot["price"] = str(price)
        estimate.amount += price * slot["count"]
    return estimate


def estimate_campaign(campaign: Campaign, *, commit: bool = True) -> Estimate | None:
    """Compute and store the campaign's estimate (None when it has no template/card)."""
    template = db.session.get(Template, campaign.template_id) if campaign.template_id else None
    if template is None or template.client_id != campaign.client_id:
        return None
    estimate = price_audience(campaign.client_id, template.category, _campaign_prefixes(campaign))
    if estimate is None:
        return None
    row = db.session.get(CampaignCostEstimate, campaign.id)
    if row is None:
        row = CampaignCostEstimate(campaign_id=campaign.id, client_id=campaign.client_id)
        db.session.add(row)
    row.currency = estimate.currency
    row.amount = estimate.amount
    row.category = estimate.category
    row.recipients = estimate.recipients
    row.unpriced = estimate.unpriced
    row.by_market = estimate.by_market
    row.card_id = estimate.card_id
    row.computed_at = utcnow()
    if commit:
        db.session.commit()
    return estimate


def stored_estimate(campaign: Campaign) -> CampaignCostEstimate | None:
    """The stored estimate, computed now for a campaign that has none yet."""
    row = db.session.get(CampaignCostEstimate, campaign.id)
    if row is None and estimate_campaign(campaign) is not None:
        row = db.session.get(CampaignCostEstimate, campaign.id)
    return row
