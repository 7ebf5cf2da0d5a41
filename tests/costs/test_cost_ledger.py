"""The cost ledger: pricing from status webhooks, the card valid at the time, free = 0."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from webhook_helpers import post, statuses_payload

from clickpro.extensions import db
from clickpro.models import Message, RateCard
from clickpro.services.costs.cards import DEFAULT_CARD_NAME, card_for, ensure_default_card
from clickpro.services.costs.loading import CardSpec, RateCardError, load_card, parse_rates
from clickpro.services.costs.reports import campaign_cost

NOW = int(time.time())


def _status(wamid, value, ts, *, category="marketing", kind="regular", billable=True, **extra):
    item = {
        "id": wamid,
        "status": value,
        "timestamp": str(ts),
        "recipient_id": extra.pop("recipient", "5511987654321"),
    }
    if category is not None:
        item["pricing"] = {
            "billable": billable,
            "pricing_model": "PMP",
            "type": kind,
            "category": category,
        }
    item.update(extra)
    return item


def _card(client_id=None, **rates):
    return load_card(
        CardSpec(
            name="Teste",
            currency="BRL",
            valid_from=datetime(2020, 1, 1, tzinfo=UTC),
            source="teste",
            client_id=client_id,
        ),
        {(k, "BR"): Decimal(v) for k, v in rates.items()},
    )


def test_campaign_with_priced_statuses_gets_the_exact_actual_cost(client, shop, sent_campaign):
    _card(marketing="0.3125", utility="0.04")
    campaign = sent_campaign(shop, ["+5511990000001", "+5511990000002", "+5511990000003"])
    a, b, c = (row.wamid for row in campaign.rows)
    items = [
        _status(a, "sent", NOW - 30),
        _status(a, "delivered", NOW - 20, category=None),  # pricing only on one of them
        _status(b, "sent", NOW - 30),
        _status(b, "read", NOW - 10),
        _status(c, "sent", NOW - 30),  # never delivered: not charged
    ]
    assert post(client, statuses_payload(items)).status_code == 200
    cost = campaign_cost(campaign)
    assert cost.currency == "BRL"
    assert cost.actual == Decimal("0.625000")
    assert cost.by_category == {"marketing": Decimal("0.625000")}
    assert cost.delivered == 2 and cost.read == 1
    assert cost.per_delivered == Decimal("0.3125")
    assert cost.per_read == Decimal("0.625")
    row = db.session.get(Message, campaign.rows[0].id)
    assert (row.pricing_model, row.pricing_category, row.pricing_type, row.billable) == (
        "PMP",
        "marketing",
        "regular",
        True,
    )
    assert row.cost == Decimal("0.3125") and row.cost_currency == "BRL"
    assert row.pricing_number == "100000000000011"
    # The webhook repeated (Meta retries): nothing doubles.
    assert post(client, statuses_payload(items[::-1])).status_code == 200
    assert campaign_cost(campaign).actual == Decimal("0.625000")


def test_free_window_and_non_billable_messages_cost_zero(client, shop, sent_campaign):
    _card(marketing="0.3125", utility="0.04", service="0.04")
    campaign = sent_campaign(shop, ["+5511990000011", "+5511990000012", "+5511990000013"])
    a, b, c = (row.wamid for row in campaign.rows)
    items = [
        _status(a, "delivered", NOW, category="utility", kind="free_customer_service"),
        _status(b, "delivered", NOW, category="marketing", kind="free_entry_point"),
        _status(c, "delivered", NOW, category="service", kind=None, billable=False),
    ]
    assert post(client, statuses_payload(items)).status_code == 200
    costs = [db.session.get(Message, r.id).cost for r in campaign.rows]
    assert costs == [Decimal("0"), Decimal("0"), Decimal("0")]
    cost = campaign_cost(campaign)
    assert cost.actual == 0 and cost.free == 3 and cost.charged == 0


def test_a_new_card_never_changes_a_past_cost(client, shop, sent_campaign):
    now = int(time.time())  # not the module's NOW: the new card starts 30 s before this
    old = _card(marketing="0.30")
    campaign = sent_campaign(shop, ["+5511990000021", "+5511990000022"])
    a, b = (row.wamid for row in campaign.rows)
    assert post(client, statuses_payload([_status(a, "delivered", now - 60)])).status_code == 200
    load_card(
        CardSpec(
            name="Nova",
            currency="BRL",
            valid_from=datetime.now(UTC) - timedelta(seconds=30),
            source="teste",
        ),
        {("marketing", "BR"): Decimal("0.50")},
    )
    # A late webhook (repeat) for the old message and a new message priced now.
    items = [_status(a, "read", now - 50), _status(b, "delivered", now)]
    assert post(client, statuses_payload(items)).status_code == 200
    first, second = (db.session.get(Message, r.id) for r in campaign.rows)
    assert first.cost == Decimal("0.30") and first.rate_card_id == old.id
    assert second.cost == Decimal("0.50") and second.rate_card_id != old.id
    assert campaign_cost(campaign).actual == Decimal("0.80")


def test_client_card_marks_up_the_platform_card(client, shop, sent_campaign):
    _card(marketing="0.20")
    load_card(
        CardSpec(
            name="Revenda",
            currency="XXX",
            valid_from=datetime(2020, 1, 1, tzinfo=UTC),
            client_id=shop.id,
            markup_pct=Decimal("50"),
        ),
        None,
    )
    campaign = sent_campaign(shop, ["+5511990000031"])
    post(client, statuses_payload([_status(campaign.rows[0].wamid, "delivered", NOW)]))
    row = db.session.get(Message, campaign.rows[0].id)
    assert row.cost == Decimal("0.30") and row.cost_currency == "BRL"


def test_status_before_the_wamid_keeps_its_pricing_for_later(client, shop, sent_campaign):
    from clickpro.services.messaging.delivery import apply_pending_statuses

    _card(marketing="0.25")
    campaign = sent_campaign(shop, ["+5511990000041"])
    row = campaign.rows[0]
    wamid = row.wamid
    row.wamid = None
    db.session.commit()
    post(client, statuses_payload([_status(wamid, "delivered", NOW)]))
    row = db.session.get(Message, row.id)
    assert row.cost is None
    row.wamid = wamid
    db.session.commit()
    apply_pending_statuses(row.id)
    db.session.expire_all()
    assert db.session.get(Message, row.id).cost == Decimal("0.25")


def test_market_not_on_the_card_is_counted_unpriced(client, shop, sent_campaign):
    campaign = sent_campaign(shop, ["+351912345678"])
    item = _status(campaign.rows[0].wamid, "delivered", NOW, recipient="351912345678")
    post(client, statuses_payload([item]))
    row = db.session.get(Message, campaign.rows[0].id)
    assert row.pricing_category == "marketing" and row.cost is None
    assert campaign_cost(campaign).unpriced == 1


def test_default_brazil_card_is_seeded_once_with_its_source_date(app):
    first = ensure_default_card()
    assert ensure_default_card() == first
    card = db.session.get(RateCard, first)
    assert card.name == DEFAULT_CARD_NAME and card.currency == "USD"
    assert card.source_date.isoformat() == "2026-07-01"
    resolved = card_for(1, datetime.now(UTC))
    assert resolved.price("marketing", "BR") == Decimal("0.0625")
    assert resolved.price("utility", "BR") == Decimal("0.0068")
    assert resolved.price("authentication-international", "BR") == Decimal("0.0068")
    assert resolved.price("marketing", "PT") is None


def test_csv_parsing_accepts_brazilian_spreadsheets_and_names_bad_lines():
    rates = parse_rates("categoria;mercado;preço\nmarketing;BR;0,3125\nutility;*;0,05\n")
    assert rates == {("marketing", "BR"): Decimal("0.3125"), ("utility", "*"): Decimal("0.05")}
    assert parse_rates("category,market,price\nAUTHENTICATION-INTERNATIONAL,br,0.01\n") == {
        ("authentication_international", "BR"): Decimal("0.01")
    }
    for bad, line in (
        ("category,market,price\nmarketing,BR,abc\n", "2"),
        ("category,market,price\nmarketing,BR,1\nfoo,BR,1\n", "3"),
        ("category,market,price\nmarketing,Brasil,1\n", "2"),
    ):
        with pytest.raises(RateCardError, match=line):
            parse_rates(bad)
    with pytest.raises(RateCardError):
        parse_rates("a,b\n1,2\n")


def test_a_rolled_back_default_card_is_never_used_from_the_cache(client, shop, sent_campaign):
    campaign = sent_campaign(shop, ["+5511990000061"])
    assert card_for(shop.id, datetime.now(UTC)) is not None  # seeds (flush, no commit)
    db.session.rollback()  # e.g. a read-only request ends: the seed is gone
    assert db.session.scalar(db.select(db.func.count()).select_from(RateCard)) == 0
    post(client, statuses_payload([_status(campaign.rows[0].wamid, "delivered", NOW)]))
    row = db.session.get(Message, campaign.rows[0].id)
    assert row.cost == Decimal("0.0625") and db.session.get(RateCard, row.rate_card_id)
    assert campaign_cost(campaign).estimated == Decimal("0.0625")
