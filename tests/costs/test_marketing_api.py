"""Routing by category through the Marketing Messages API, pacing, and the sandbox's
pricing webhooks, end to end: campaign → dispatcher → sandbox → status webhooks → costs."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.extensions import db
from clickpro.models import Message
from clickpro.services.campaigns import service as svc
from clickpro.services.costs import marketing_api
from clickpro.services.costs.reports import campaign_cost

VARS = {"body": ["{{contact.name}}", "{{contact.cupom}}"]}


def _run(w, template, n=3):
    ids = add_contacts(w.tenant, n)
    contact_list = make_list(w.tenant, ids)
    campaign = svc.save_campaign(
        w.tenant.id,
        {"name": "Natal", "template_id": template.id, "list_ids": [contact_list.id],
         "variables": VARS, "rate_mps": 50},
    )  # fmt: skip
    campaign = svc.start_campaign(w.tenant.id, campaign.id)
    w.sandbox.flush()  # status webhooks (with pricing) back into the app
    db.session.expire_all()
    return campaign


def _rows(campaign) -> list[Message]:
    return list(db.session.scalars(sa.select(Message).where(Message.campaign_id == campaign.id)))


def test_not_onboarded_marketing_goes_to_messages_and_is_priced(wired):
    campaign = _run(wired, wired.marketing)
    assert {s["endpoint"] for s in wired.sandbox.list_sends()} == {"messages"}
    rows = _rows(campaign)
    assert {r.status for r in rows} == {"READ"}
    assert {r.pricing_category for r in rows} == {"marketing"}
    assert {(r.cost, r.cost_currency) for r in rows} == {(Decimal("0.0625"), "USD")}
    cost = campaign_cost(campaign)
    assert cost.actual == Decimal("0.1875") and cost.estimated == Decimal("0.1875")
    assert cost.per_read == Decimal("0.0625")


def test_check_refuses_a_number_meta_has_not_onboarded(wired):
    with pytest.raises(marketing_api.MarketingApiError):
        marketing_api.check(wired.tenant.id, turn_on=True)
    setting = marketing_api.setting_of(wired.tenant.id)
    assert setting.onboarded is False and setting.meta_status == "ELIGIBLE"


def test_onboarded_number_routes_marketing_to_marketing_messages_only(wired):
    wired.account.marketing_messages_status = "ONBOARDED"
    assert marketing_api.check(wired.tenant.id, turn_on=True).onboarded
    marketing = _run(wired, wired.marketing, n=2)
    sends = wired.sandbox.list_sends()
    assert [s["endpoint"] for s in sends] == ["marketing_messages"] * 2
    rows = _rows(marketing)
    assert {r.payload.get("sent_via") for r in rows} == {"marketing_messages"}
    assert {r.pricing_category for r in rows} == {"marketing_lite"}
    assert campaign_cost(marketing).by_category == {"marketing_lite": Decimal("0.125")}
    # Everything else keeps the standard endpoint.
    utility = _run(wired, wired.utility, n=2)
    endpoints = [s["endpoint"] for s in wired.sandbox.list_sends()[2:]]
    assert endpoints == ["messages", "messages"]
    assert {r.pricing_category for r in _rows(utility)} == {"utility"}
    # Meta withdrew it: the next check turns the switch off, marketing is back on /messages.
    wired.account.marketing_messages_status = "ELIGIBLE"
    assert marketing_api.check(wired.tenant.id).onboarded is False
    assert not marketing_api.uses_marketing_api(wired.credential.id, "MARKETING")


def test_paced_messages_are_held_then_dropped_with_132015(wired):
    template = wired.sandbox.templates.find(wired.account.waba_id, "oferta", "pt_BR")
    template["paced"] = True
    campaign = _run(wired, wired.marketing, n=2)
    rows = _rows(campaign)
    assert {r.status for r in rows} == {"SENT"}
    assert {r.payload.get("message_status") for r in rows} == {"held_for_quality_assessment"}
    cost = campaign_cost(campaign)
    assert cost.held == 2 and cost.actual == 0
    assert wired.sandbox.release_held(drop=True) == 2
    wired.sandbox.flush()
    db.session.expire_all()
    rows = _rows(campaign)
    assert {(r.status, r.error_code) for r in rows} == {("FAILED", 132015)}
    assert campaign_cost(campaign).held == 0


def test_released_paced_messages_are_delivered_and_charged(wired):
    template = wired.sandbox.templates.find(wired.account.waba_id, "oferta", "pt_BR")
    template["paced"] = True
    campaign = _run(wired, wired.marketing, n=1)
    assert wired.sandbox.release_held() == 1
    wired.sandbox.flush()
    db.session.expire_all()
    cost = campaign_cost(campaign)
    assert cost.held == 0 and cost.actual == Decimal("0.0625")


def test_costs_page_switch(wired, client, login_as):
    login_as(wired.tenant.admin, wired.tenant)
    page = client.get("/costs").get_data(as_text=True)
    assert 'data-testid="marketing-api"' in page
    response = client.post("/costs/marketing-api", data={"action": "on"})
    assert response.status_code == 302
    assert marketing_api.setting_of(wired.tenant.id).onboarded is False  # Meta: ELIGIBLE
    wired.account.marketing_messages_status = "ONBOARDED"
    client.post("/costs/marketing-api", data={"action": "on"})
    assert marketing_api.setting_of(wired.tenant.id).onboarded is True
    client.post("/costs/marketing-api", data={"action": "off"})
    assert marketing_api.setting_of(wired.tenant.id).onboarded is False
