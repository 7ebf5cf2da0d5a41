"""Campaign service + dispatcher in one process (SQLite or PostgreSQL; RQ runs jobs inline)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from campaign_helpers import FULL, add_contacts, make_list, sandbox_template

from clickpro.extensions import db
from clickpro.models import Campaign, Contact, Message, Notification, OptOut
from clickpro.models.base import utcnow
from clickpro.services.campaigns import service as svc

VARS = {"body": ["{{contact.name}}", "{{contact.cupom}}"]}


def new_campaign(s, list_ids, **data):
    payload = {"name": "Black Friday", "template_id": s.template.id, "list_ids": list_ids,
               "variables": VARS, "rate_mps": 50}  # fmt: skip
    payload.update(data)
    return svc.save_campaign(s.tenant.id, payload)


def statuses(campaign_id):
    return dict(db.session.execute(
        sa.select(Message.status, sa.func.count()).where(Message.campaign_id == campaign_id)
        .group_by(Message.status)).all())  # fmt: skip


def test_start_sends_each_eligible_contact_once(setup):
    ids = add_contacts(setup.tenant, 30)
    ids += add_contacts(setup.tenant, 2, attrs=lambda i: {})  # no coupon: skipped
    lst = make_list(setup.tenant, ids)
    phones = list(db.session.scalars(sa.select(Contact.phone_e164).where(Contact.id.in_(ids[:3]))))
    for phone in phones:
        db.session.add(OptOut(client_id=setup.tenant.id, phone_e164=phone, source="manual"))
    db.session.commit()
    campaign = new_campaign(setup, [lst.id])
    count = svc.audience_of(campaign)
    assert (count.total, count.opted_out, count.missing, count.eligible) == (32, 3, 2, 27)
    campaign = svc.start_campaign(setup.tenant.id, campaign.id)
    db.session.refresh(campaign)
    assert campaign.status == "COMPLETED"
    assert statuses(campaign.id) == {"SENT": 27, "SKIPPED": 5}
    sends = setup.sandbox.list_sends()
    assert len(sends) == 27
    assert len({s["callback_data"] for s in sends}) == 27
    assert not {s["to"] for s in sends} & {p.lstrip("+") for p in phones}
    reasons = set(
        db.session.scalars(sa.select(Message.error_title).where(Message.status == "SKIPPED"))
    )
    assert reasons == {"Contato descadastrado (opt-out)", "Sem valor para variável mapeada"}
    assert campaign.counters["sent"] == 27
    # Starting again is refused and creates nothing.
    with pytest.raises(svc.CampaignError):
        svc.start_campaign(setup.tenant.id, campaign.id)
    assert len(setup.sandbox.list_sends()) == 27


def test_fallback_policy_sends_with_fallback(setup, recorder):
    ids = add_contacts(setup.tenant, 2, attrs=lambda i: {})
    lst = make_list(setup.tenant, ids)
    campaign = new_campaign(setup, [lst.id], missing_value_policy="fallback", fallback="amigo")
    svc.start_campaign(setup.tenant.id, campaign.id)
    bodies = [p["template"]["components"][0]["parameters"] for p in recorder.payloads]
    assert len(bodies) == 2 and all(b[1]["text"] == "amigo" for b in bodies)


def test_per_contact_header_body_button_values(setup, recorder, create_template):
    template = create_template(setup.tenant, name="completo", components=FULL)
    sandbox_template(setup.sandbox, "completo", FULL)
    ids = add_contacts(setup.tenant, 3, attrs=lambda i: {"cidade": f"Cidade{i}", "sku": f"sku-{i}"})
    lst = make_list(setup.tenant, ids)
    variables = {"header": ["{{contact.cidade}}"], "body": ["{{contact.name}}", "fixo-{{contact.sku}}"],
                 "buttons": {"0": ["{{contact.sku}}"]}}  # fmt: skip
    campaign = new_campaign(setup, [lst.id], template_id=template.id, variables=variables)
    svc.start_campaign(setup.tenant.id, campaign.id)
    assert len(recorder.payloads) == 3
    seen = set()
    for payload in recorder.payloads:
        comps = {c["type"]: c for c in payload["template"]["components"]}
        city = comps["header"]["parameters"][0]["text"]
        name, code = (p["text"] for p in comps["body"]["parameters"])
        sku = comps["button"]["parameters"][0]["text"]
        i = int(city.removeprefix("Cidade"))
        assert (name, code, sku) == (f"Pessoa {i}", f"fixo-sku-{i}", f"sku-{i}")
        assert payload["biz_opaque_callback_data"].startswith("clickpro:m:")
        seen.add(i)
    assert seen == {0, 1, 2}
    stored = db.session.scalars(sa.select(Message).where(Message.campaign_id == campaign.id)).all()
    assert all(m.wamid and m.payload["components"] for m in stored)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"rate_mps": 0}, "maior que zero"),
        ({"rate_mps": 81}, "velocidade máxima"),
        ({"scheduled_at": (utcnow() - timedelta(minutes=5)).isoformat()}, "já passou"),
        ({"name": ""}, "nome"),
    ],
)
def test_save_refusals(setup, data, message):
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 1))
    with pytest.raises(svc.CampaignError, match=message):
        new_campaign(setup, [lst.id], **data)


def test_start_refusals(setup, create_template):
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 2))
    empty = make_list(setup.tenant, [])
    pending = create_template(setup.tenant, name="pendente", status="PENDING")
    with pytest.raises(svc.CampaignError, match="aprovado"):
        new_campaign(setup, [lst.id], template_id=pending.id)
    unmapped = new_campaign(setup, [lst.id], variables={"body": ["{{contact.name}}"]})
    with pytest.raises(svc.CampaignError, match="Mapeie"):
        svc.start_campaign(setup.tenant.id, unmapped.id)
    nobody = new_campaign(setup, [empty.id])
    with pytest.raises(svc.CampaignError, match="vazio"):
        svc.start_campaign(setup.tenant.id, nobody.id)
    ok = new_campaign(setup, [lst.id])
    svc.start_campaign(setup.tenant.id, ok.id)
    with pytest.raises(svc.CampaignError, match="editar"):
        svc.save_campaign(setup.tenant.id, {"name": "x"}, campaign_id=ok.id)
    assert Message.query.filter_by(campaign_id=unmapped.id).count() == 0


def test_other_client_campaign_is_not_found(setup, create_client):
    other = create_client()
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 1))
    campaign = new_campaign(setup, [lst.id])
    with pytest.raises(svc.CampaignError, match="não encontrada"):
        svc.start_campaign(other.id, campaign.id)
    with pytest.raises(svc.CampaignError, match="não encontrada"):
        svc.save_campaign(other.id, {"list_ids": [lst.id]}, campaign_id=campaign.id)


def test_scheduled_start_runs_when_due(setup):
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 4))
    now = utcnow()
    campaign = new_campaign(setup, [lst.id], scheduled_at=(now + timedelta(hours=1)).isoformat())
    campaign = svc.start_campaign(setup.tenant.id, campaign.id, now=now)
    assert campaign.status == "SCHEDULED"
    assert Message.query.filter_by(campaign_id=campaign.id).count() == 0
    from clickpro.services.campaigns.schedule import tick

    assert tick(now + timedelta(minutes=30))["started"] == 0
    assert tick(now + timedelta(minutes=61))["started"] == 1
    assert db.session.get(Campaign, campaign.id).status == "COMPLETED"
    assert len(setup.sandbox.list_sends()) == 4


def test_cancel_draft_and_notifications_absent(setup):
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 1))
    campaign = new_campaign(setup, [lst.id])
    assert svc.cancel_campaign(setup.tenant.id, campaign.id).status == "CANCELLED"
    with pytest.raises(svc.CampaignError):
        svc.start_campaign(setup.tenant.id, campaign.id)
    assert Notification.query.count() == 0
