"""Rate cards (price per delivered message by category and market) and campaign estimates.

A card is the platform's (``client_id`` NULL: what Meta charges) or one client's (an
agency's resale price: its own rates, or the platform card's rates times a markup).
Cards are only ever added: the cost of a message is derived and stored on the message
when its ``pricing`` arrives, so a card loaded later never rewrites the past.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, UTCDateTime, utcnow

Money = sa.Numeric(14, 6)


class RateCard(Model):
    __tablename__ = "rate_cards"
    __table_args__ = (sa.Index("ix_rate_cards_client_valid", "client_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: the platform's card (Meta's prices); else one client's resale card.
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the prices come from and the date of that source (e.g. Meta's pricing page).
    source: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    source_date: Mapped[date | None] = mapped_column(sa.Date)
    # Percent added to every price (a client card without rates marks up the platform's).
    markup_pct: Mapped[Decimal] = mapped_column(
        sa.Numeric(7, 3), nullable=False, default=Decimal("0"), server_default="0"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class RateCardRate(Model):
    __tablename__ = "rate_card_rates"
    __table_args__ = (sa.UniqueConstraint("card_id", "category", "market"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rate_cards.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # Meta's pricing category, lower case with underscores (marketing, utility, …).
    category: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    # ISO 3166 alpha-2 of the recipient's calling code, or "*" for any other market.
    market: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    price: Mapped[Decimal] = mapped_column(Money, nullable=False)


class CampaignCostEstimate(Model):
    """The last estimate of a campaign (recomputed on start and on a category change)."""

    __tablename__ = "campaign_cost_estimates"

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True, nullable=False
    )
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    category: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    recipients: Mapped[int] = mapped_column(nullable=False, default=0)
    # Recipients with no price on the card (market not on it): not in ``amount``.
    unpriced: Mapped[int] = mapped_column(nullable=False, default=0)
    # {"BR": {"count": 10, "price": "0.0625"}, …}
    by_market: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rate_cards.id", ondelete="SET NULL"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class MarketingMessagesNumber(Model):
    """A number's Marketing Messages API setting: marketing templates go to
    ``/marketing_messages`` when ``onboarded`` (the admin's switch, checked against Meta's
    ``marketing_messages_onboarding_status``), everything else to ``/messages``."""

    __tablename__ = "marketing_messages_numbers"

    credential_id: Mapped[int] = mapped_column(
        sa.ForeignKey("whatsapp_credentials.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True, nullable=False
    )
    onboarded: Mapped[bool] = mapped_column(
        nullable=False, default=False, server_default=sa.false()
    )
    # Meta's last answer (ONBOARDED, ELIGIBLE, …) and when it was asked.
    meta_status: Mapped[str | None] = mapped_column(sa.String(40))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
