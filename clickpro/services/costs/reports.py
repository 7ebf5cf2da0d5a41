"""What was spent: per campaign, and per period grouped by day, campaign, number or category.

Only delivered messages are charged by Meta, so "actual" adds up the stored cost of
DELIVERED/READ rows. Free messages (cost 0: customer service window, free entry point,
non-billable) are counted apart, and so are priced messages whose market is not on the
card (``unpriced``: pricing known, cost unknown). Amounts are grouped by currency; a
client normally has one (its card's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Template,
    WhatsAppCredential,
)
from clickpro.services.costs.estimate import Estimate, estimate_campaign, stored_estimate
from clickpro.services.costs.sending_rules import MARKETING_CAPPED

CHARGED = (MessageStatus.DELIVERED, MessageStatus.READ)
GROUPS = ("day", "campaign", "number", "category")
_LIVE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


@dataclass
class CampaignCost:
    currency: str | None
    estimated: Decimal | None
    estimate_recipients: int
    estimate_unpriced: int
    category: str | None
    actual: Decimal
    by_category: dict[str, Decimal] = field(default_factory=dict)
    charged: int = 0
    free: int = 0
    unpriced: int = 0
    delivered: int = 0
    read: int = 0
    held: int = 0
    capped: int = 0

    @property
    def per_delivered(self) -> Decimal | None:
        return (self.actual / self.delivered) if self.delivered else None

    @property
    def per_read(self) -> Decimal | None:
        return (self.actual / self.read) if self.read else None

    def as_api(self) -> dict:
        """The ``cost`` object of the API's CampaignOut."""
        return {
            "currency": self.currency,
            "estimated": _num(self.estimated),
            "actual": _num(self.actual),
            "by_category": {k: _num(v) for k, v in sorted(self.by_category.items())},
            "per_delivered": _num(self.per_delivered),
            "per_read": _num(self.per_read),
            "free_messages": self.free,
            "unpriced_messages": self.unpriced,
            "held_for_quality": self.held,
            "marketing_limit_131049": self.capped,
        }


HELD = "held_for_quality_assessment"


def _held() -> sa.ColumnElement[bool]:
    """Sent, but Meta holds it for a template quality check (pacing): the send response's
    ``message_status``, kept in the row's payload by the dispatcher."""
    return Message.payload["message_status"].as_string() == HELD


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value, 6))


def _estimate_of(campaign: Campaign) -> Estimate | None:
    if campaign.status in _LIVE:  # lists may still change: priced live, not stored
        from clickpro.services.costs.estimate import _campaign_prefixes, price_audience

        template = db.session.get(Template, campaign.template_id) if campaign.template_id else None
        if template is None or template.client_id != campaign.client_id:
            return None
        return price_audience(campaign.client_id, template.category, _campaign_prefixes(campaign))
    row = stored_estimate(campaign)
    if row is None:
        return None
    return Estimate(
        row.currency,
        Decimal(row.amount),
        row.category,
        row.recipients,
        row.unpriced,
        row.card_id,
        row.by_market or {},
    )


def campaign_cost(campaign: Campaign) -> CampaignCost:
    """Estimate, running/final cost and its breakdown for one campaign."""
    estimate = _estimate_of(campaign)
    m = Message.__table__.c
    charged = m.status.in_(CHARGED)
    rows = db.session.execute(
        sa.select(
            m.pricing_category,
            m.cost_currency,
            sa.func.coalesce(sa.func.sum(sa.case((charged, m.cost), else_=None)), 0),
            sa.func.count().filter(charged, m.cost > 0),
            sa.func.count().filter(charged, m.cost == 0),
            sa.func.count().filter(charged, m.pricing_category.is_not(None), m.cost.is_(None)),
        )
        .where(m.campaign_id == campaign.id, m.pricing_category.is_not(None))
        .group_by(m.pricing_category, m.cost_currency)
    ).all()
    counts = db.session.execute(
        sa.select(
            sa.func.count().filter(m.status.in_(CHARGED)),
            sa.func.count().filter(m.status == MessageStatus.READ),
            sa.func.count().filter(_held(), m.status == MessageStatus.SENT),
            sa.func.count().filter(m.error_code == MARKETING_CAPPED),
        ).where(m.campaign_id == campaign.id)
    ).one()
    currency = estimate.currency if estimate else None
    result = CampaignCost(
        currency=currency,
        estimated=estimate.amount if estimate else None,
        estimate_recipients=estimate.recipients if estimate else 0,
        estimate_unpriced=estimate.unpriced if estimate else 0,
        category=estimate.category if estimate else None,
        actual=Decimal("0"),
        delivered=int(counts[0]),
        read=int(counts[1]),
        held=int(counts[2]),
        capped=int(counts[3]),
    )
    for category, row_currency, amount, n_charged, n_free, n_unpriced in rows:
        if row_currency and result.currency is None:
            result.currency = row_currency
        result.free += int(n_free)
        result.unpriced += int(n_unpriced)
        if row_currency and row_currency != result.currency:
            result.unpriced += int(n_charged)  # another currency: not added up here
            continue
        result.charged += int(n_charged)
        value = Decimal(str(amount or 0))
        result.actual += value
        result.by_category[category] = result.by_category.get(category, Decimal("0")) + value
    return result


def reestimate_for_template(client_id: int, template_id: int) -> int:
    """Re-estimate the scheduled and running campaigns of a template (category changed)."""
    active = (
        CampaignStatus.SCHEDULED,
        CampaignStatus.PREPARING,
        CampaignStatus.RUNNING,
        CampaignStatus.PAUSED,
    )
    campaigns = db.session.scalars(
        sa.select(Campaign).where(
            Campaign.client_id == client_id,
            Campaign.template_id == template_id,
            Campaign.status.in_(active),
        )
    ).all()
    for campaign in campaigns:
        estimate_campaign(campaign, commit=False)
    db.session.commit()
    return len(campaigns)


@dataclass
class CostRow:
    key: str
    label: str
    currency: str | None
    amount: Decimal
    charged: int
    free: int
    unpriced: int


def _utc_day(column) -> sa.ColumnElement:
    """``YYYY-MM-DD`` of a UTC timestamp (SQLite stores naive UTC text)."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    return sa.func.substr(column, 1, 10)


def costs_by(client_id: int, start: datetime, end: datetime, group_by: str) -> list[CostRow]:
    """Delivered messages of ``client_id`` in [start, end) grouped by ``group_by``."""
    if group_by not in GROUPS:
        raise ValueError(group_by)
    m = Message.__table__.c
    if group_by == "day":
        key = _utc_day(m.delivered_at)
    elif group_by == "campaign":
        key = m.campaign_id
    elif group_by == "number":
        key = m.pricing_number
    else:
        key = m.pricing_category
    stmt = (
        sa.select(
            key.label("key"),
            m.cost_currency,
            sa.func.coalesce(sa.func.sum(m.cost), 0),
            sa.func.count().filter(m.cost > 0),
            sa.func.count().filter(m.cost == 0),
            sa.func.count().filter(m.cost.is_(None)),
        )
        .where(
            m.client_id == client_id,
            m.pricing_category.is_not(None),
            m.delivered_at >= start,
            m.delivered_at < end,
            m.status.in_(CHARGED),
        )
        .group_by(key, m.cost_currency)
        .order_by(key)
    )
    rows = db.session.execute(stmt).all()
    names: dict = {}
    if group_by == "campaign":
        ids = [r[0] for r in rows if r[0] is not None]
        names = {
            cid: name
            for cid, name in db.session.execute(
                sa.select(Campaign.id, Campaign.name).where(
                    Campaign.client_id == client_id, Campaign.id.in_(ids)
                )
            ).all()
        }
    if group_by == "number":
        names = {
            number: display
            for number, display in db.session.execute(
                sa.select(
                    WhatsAppCredential.phone_number_id, WhatsAppCredential.display_phone_number
                ).where(WhatsAppCredential.client_id == client_id)
            ).all()
        }
    out = []
    for k, currency, amount, n_charged, n_free, n_unpriced in rows:
        label = names.get(k) or ("" if group_by == "campaign" else str(k or ""))
        out.append(
            CostRow(
                key="" if k is None else str(k),
                label=label,
                currency=currency,
                amount=Decimal(str(amount or 0)),
                charged=int(n_charged),
                free=int(n_free),
                unpriced=int(n_unpriced),
            )
        )
    return out
