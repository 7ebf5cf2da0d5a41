"""Meta's 2026 rules: category updates re-estimate, paused templates pause campaigns,
131050 opts out even when it arrives late, 131049 is counted on the campaign."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from webhook_helpers import field_payload, post, statuses_payload

from clickpro.extensions import db
from clickpro.models import Campaign, CampaignCostEstimate, Message, Notification, Template
from clickpro.services.contacts.optout import is_opted_out
from clickpro.services.costs.loading import CardSpec, load_card
from clickpro.services.costs.reports import campaign_cost

NOW = int(time.time())


def _card():
    load_card(
        CardSpec(name="BRL", currency="BRL", valid_from=datetime(2020, 1, 1, tzinfo=UTC)),
        {("marketing", "BR"): Decimal("0.50"), ("utility", "BR"): Decimal("0.05")},
    )


def _base(template: Template) -> dict:
    return {
        "message_template_id": int(template.meta_template_id),
        "message_template_name": template.name,
        "message_template_language": template.language,
    }


def _notes(client_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.client_id == client_id)
            .order_by(Notification.id)
        )
    )


def test_impending_category_change_notifies_with_the_date_and_changes_nothing(
    client, shop, create_template, sent_campaign
):
    _card()
    template = create_template(shop, meta_template_id="771", category="UTILITY")
    campaign = sent_campaign(shop, ["+5511990000501", "+5511990000502"], template=template)
    assert campaign_cost(campaign).estimated == Decimal("0.10")
    when = int(datetime(2026, 12, 24, 15, 0, tzinfo=UTC).timestamp())
    value = _base(template) | {
        "correct_category": "MARKETING",
        "new_category": "UTILITY",  # Meta: the *current* category on the impending notice
        "category_update_timestamp": when,
    }
    assert post(client, field_payload("template_category_update", value)).status_code == 200
    db.session.refresh(template)
    assert template.category == "UTILITY"
    (note,) = _notes(shop.id)
    assert "MARKETING" in note.text and "24/12/2026" in note.text
    assert db.session.get(CampaignCostEstimate, campaign.id).category == "utility"


def test_completed_category_change_updates_template_and_reestimates(
    client, shop, create_template, sent_campaign
):
    _card()
    template = create_template(shop, meta_template_id="772", category="UTILITY")
    running = sent_campaign(shop, ["+5511990000511", "+5511990000512"], template=template)
    done = sent_campaign(shop, ["+5511990000513"], template=template, campaign_status="COMPLETED")
    assert campaign_cost(running).estimated == Decimal("0.10")
    assert campaign_cost(done).estimated == Decimal("0.05")
    value = _base(template) | {"previous_category": "UTILITY", "new_category": "MARKETING"}
    assert post(client, field_payload("template_category_update", value)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Template, template.id).category == "MARKETING"
    estimate = db.session.get(CampaignCostEstimate, running.id)
    assert (estimate.category, estimate.amount) == ("marketing", Decimal("1.00"))
    # A finished campaign keeps the estimate it ran with.
    assert db.session.get(CampaignCostEstimate, done.id).amount == Decimal("0.05")
    (note,) = _notes(shop.id)
    assert "UTILITY" in note.text and "MARKETING" in note.text and "1 campanha" in note.text


def test_paused_template_pauses_its_running_campaigns_with_the_reason(
    client, shop, create_template, sent_campaign, create_client
):
    template = create_template(shop, meta_template_id="773")
    running = sent_campaign(shop, ["+5511990000521"], template=template)
    finished = sent_campaign(
        shop, ["+5511990000522"], template=template, campaign_status="COMPLETED"
    )
    other_template = create_template(shop, meta_template_id="774")
    unrelated = sent_campaign(shop, ["+5511990000523"], template=other_template)
    value = _base(template) | {
        "event": "PAUSED",
        "reason": "NONE",
        "other_info": {"title": "FIRST_PAUSE", "description": "Qualidade baixa"},
    }
    assert post(client, field_payload("message_template_status_update", value)).status_code == 200
    db.session.expire_all()
    paused = db.session.get(Campaign, running.id)
    assert paused.status == "PAUSED" and paused.paused_by == "system"
    assert template.name in paused.pause_reason
    assert db.session.get(Campaign, finished.id).status == "COMPLETED"
    assert db.session.get(Campaign, unrelated.id).status == "RUNNING"
    kinds = [n.kind for n in _notes(shop.id)]
    assert kinds.count("campaign_paused") == 1

    value = _base(other_template) | {"event": "DISABLED", "reason": "SCAM"}
    post(client, field_payload("message_template_status_update", value))
    db.session.expire_all()
    stopped = db.session.get(Campaign, unrelated.id)
    assert stopped.status == "PAUSED" and "SCAM" in stopped.pause_reason


def _failed(wamid: str, code: int) -> dict:
    return {
        "id": wamid,
        "status": "failed",
        "timestamp": str(NOW),
        "recipient_id": "5511990000531",
        "errors": [{"code": code, "title": "Marketing", "message": "x"}],
    }


def test_late_131050_after_delivered_opts_the_contact_out(client, shop, sent_campaign):
    campaign = sent_campaign(shop, ["+5511990000531", "+5511990000532"])
    late, direct = campaign.rows
    delivered = {"id": late.wamid, "status": "delivered", "timestamp": str(NOW - 60),
                 "recipient_id": "5511990000531"}  # fmt: skip
    post(client, statuses_payload([delivered]))
    post(client, statuses_payload([_failed(late.wamid, 131050)]))
    assert db.session.get(Message, late.id).status == "DELIVERED"  # statuses stay monotonic
    assert is_opted_out(shop.id, "+5511990000531")
    # A plain failure with another code opts nobody out.
    post(client, statuses_payload([_failed(direct.wamid, 131026)]))
    assert not is_opted_out(shop.id, "+5511990000532")


def test_131049_is_counted_on_the_campaign(client, shop, sent_campaign):
    campaign = sent_campaign(shop, ["+5511990000551", "+5511990000552", "+5511990000553"])
    for row in campaign.rows[:2]:
        post(client, statuses_payload([_failed(row.wamid, 131049)]))
    cost = campaign_cost(campaign)
    assert cost.capped == 2
    assert not is_opted_out(shop.id, "+5511990000551")  # not an opt-out
