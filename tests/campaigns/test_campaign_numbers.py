"""A campaign chooses its number (#16): only templates of that number's WABA, sends with
that number's credential (the sandbox sees its phone_number_id), rows carry number_id,
the tier warning is the number's, replies count on the same number; the API speaks
``phone_number_id``; a campaign from before numbers (number_id NULL) uses the first."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from campaign_helpers import BODY_ONLY, add_contacts, make_list, sandbox_template

from clickpro.extensions import db
from clickpro.models import Campaign, Message
from clickpro.models.base import utcnow
from clickpro.services.api import tokens as api_tokens
from clickpro.services.campaigns import service as svc
from clickpro.services.campaigns import stats

VARS = {"body": ["{{contact.name}}", "{{contact.cupom}}"]}
FIRST_PHONE_ID = "100000000000011"


@pytest.fixture
def two(setup, create_whatsapp_credential, create_template):
    """``setup`` plus a second number ("Loja Centro", TIER_250) on another WABA with its
    own approved template "oferta_centro"."""
    account = setup.sandbox.create_account(display_phone_number="+55 11 3000-0002")
    data = {
        "access_token": account.access_token,
        "waba_id": account.waba_id,
        "phone_number_id": account.phone_number_id,
        "app_id": account.app_id,
        "display_phone_number": "+55 11 3000-0002",
    }
    setup.second = create_whatsapp_credential(
        setup.tenant, data, display_name="Loja Centro", messaging_tier="TIER_250"
    )
    setup.second_template = create_template(
        setup.tenant, name="oferta_centro", components=BODY_ONLY, waba_id=account.waba_id
    )
    sandbox_template(setup.sandbox, "oferta_centro", BODY_ONLY, account=account)
    return setup


def _campaign(s, list_ids, **data) -> Campaign:
    payload = {"name": "Centro", "template_id": s.template.id, "list_ids": list_ids,
               "variables": VARS, "rate_mps": 50}  # fmt: skip
    payload.update(data)
    return svc.save_campaign(s.tenant.id, payload)


def _row_numbers(campaign_id: int) -> set:
    return set(
        db.session.scalars(sa.select(Message.number_id).where(Message.campaign_id == campaign_id))
    )


def test_campaign_sends_from_its_number_with_its_template(two):
    lst = make_list(two.tenant, add_contacts(two.tenant, 4))
    campaign = _campaign(two, [lst.id], number_id=two.second.id, template_id=two.second_template.id)
    assert campaign.number_id == two.second.id
    svc.start_campaign(two.tenant.id, campaign.id)
    db.session.refresh(campaign)
    assert campaign.status == "COMPLETED", campaign.pause_reason
    sends = two.sandbox.list_sends()
    assert len(sends) == 4
    assert {s["phone_number_id"] for s in sends} == {two.second.phone_number_id}
    assert _row_numbers(campaign.id) == {two.second.id}
    statuses = set(
        db.session.scalars(sa.select(Message.status).where(Message.campaign_id == campaign.id))
    )
    assert statuses == {"SENT"}


def test_new_campaign_defaults_to_the_first_number(two):
    lst = make_list(two.tenant, add_contacts(two.tenant, 2))
    campaign = _campaign(two, [lst.id])
    assert campaign.number_id == two.credential.id
    svc.start_campaign(two.tenant.id, campaign.id)
    assert {s["phone_number_id"] for s in two.sandbox.list_sends()} == {FIRST_PHONE_ID}
    assert _row_numbers(campaign.id) == {two.credential.id}


def test_old_campaign_without_a_number_sends_from_the_first(two):
    lst = make_list(two.tenant, add_contacts(two.tenant, 3))
    campaign = _campaign(two, [lst.id])
    db.session.execute(sa.update(Campaign).where(Campaign.id == campaign.id).values(number_id=None))
    db.session.commit()
    svc.start_campaign(two.tenant.id, campaign.id)
    db.session.refresh(campaign)
    assert campaign.status == "COMPLETED" and campaign.number_id is None
    assert {s["phone_number_id"] for s in two.sandbox.list_sends()} == {FIRST_PHONE_ID}
    assert _row_numbers(campaign.id) == {two.credential.id}


def test_a_template_of_another_waba_is_refused(two):
    lst = make_list(two.tenant, add_contacts(two.tenant, 1))
    with pytest.raises(svc.CampaignError) as refused:
        _campaign(two, [lst.id], number_id=two.second.id)  # "oferta" is the first WABA's
    assert refused.value.field == "template_id" and "outra conta do WhatsApp" in str(refused.value)
    db.session.rollback()
    # Switching the number of a saved campaign re-checks its template too.
    campaign = _campaign(two, [lst.id])
    with pytest.raises(svc.CampaignError):
        svc.save_campaign(two.tenant.id, {"number_id": two.second.id}, campaign_id=campaign.id)
    db.session.rollback()
    db.session.refresh(campaign)
    assert campaign.number_id == two.credential.id
    # A mismatch stored anyway (changed in the database) is caught before starting.
    db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign.id).values(number_id=two.second.id)
    )
    db.session.commit()
    errors = svc.readiness_errors(db.session.get(Campaign, campaign.id), utcnow())
    assert any("outra conta do WhatsApp" in e for e in errors)
    assert two.sandbox.list_sends() == []


def test_archived_or_foreign_number_is_refused(
    two, create_client, create_whatsapp_credential, sandbox
):
    lst = make_list(two.tenant, add_contacts(two.tenant, 1))
    other = create_client("Outra Loja")
    account = sandbox.create_account()
    foreign = create_whatsapp_credential(other, {
        "access_token": account.access_token, "waba_id": account.waba_id,
        "phone_number_id": account.phone_number_id, "app_id": account.app_id})  # fmt: skip
    for data in ({"number_id": foreign.id}, {"phone_number_id": foreign.phone_number_id},
                 {"number_id": "abc"}, {"phone_number_id": "999"}):  # fmt: skip
        with pytest.raises(svc.CampaignError) as refused:
            _campaign(two, [lst.id], **data)
        assert refused.value.field in ("number_id", "phone_number_id")
        db.session.rollback()
    campaign = _campaign(two, [lst.id], number_id=two.second.id, template_id=two.second_template.id)
    two.second.archived_at = utcnow()
    db.session.commit()
    with pytest.raises(svc.CampaignError) as refused:
        svc.start_campaign(two.tenant.id, campaign.id)
    assert "removido" in str(refused.value)


def test_tier_warning_uses_the_campaigns_number(two):
    lst = make_list(two.tenant, add_contacts(two.tenant, 300))
    on_first = _campaign(two, [lst.id])
    on_second = _campaign(
        two, [lst.id], number_id=two.second.id, template_id=two.second_template.id
    )
    assert (
        svc.tier_warning(two.tenant.id, 300, db.session.get(type(two.second), on_first.number_id))
        is None
    )
    warning = svc.tier_warning(two.tenant.id, 300, two.second)
    assert warning and "TIER_250" in warning
    assert on_second.number_id == two.second.id


def test_wizard_offers_only_the_chosen_numbers_templates(two, login_as):
    web = login_as(two.tenant.admin, two.tenant)
    page = web.get("/campaigns/new").get_data(as_text=True)
    assert 'name="number_id"' in page and "Loja Centro" in page
    option = (
        f'<option value="{two.second_template.id}" data-waba="{two.second.waba_id}" hidden disabled'
    )
    assert option in page  # first number chosen: the other WABA's template is not offered
    lst = make_list(two.tenant, add_contacts(two.tenant, 2))
    form = {"name": "Pelo Centro", "number_id": str(two.second.id), "template_id": str(two.template.id),
            "list_ids": [str(lst.id)], "var-body-0": "{{contact.name}}", "var-body-1": "{{contact.cupom}}",
            "rate_mps": "10", "missing_value_policy": "skip", "start_mode": "now"}  # fmt: skip
    refused = web.post("/campaigns/new", data=form)
    assert refused.status_code == 200
    text = refused.get_data(as_text=True)
    assert 'data-testid="wizard-error"' in text and "outra conta do WhatsApp" in text
    # the re-rendered wizard keeps the chosen number and offers its WABA's template only
    assert f'<option value="{two.second.id}" data-waba="{two.second.waba_id}"' in text
    assert f'<option value="{two.template.id}" data-waba="100000000000001" hidden disabled' in text
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0
    saved = web.post("/campaigns/new", data={**form, "template_id": str(two.second_template.id)})
    assert saved.status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.number_id == two.second.id
    detail = web.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-testid="campaign-number"' in detail and "Loja Centro" in detail
    # the live audience count warns with the chosen number's tier (250 here)
    big = make_list(two.tenant, add_contacts(two.tenant, 260))
    count = web.post("/campaigns/audience.json", json={"list_ids": [big.id], "variables": VARS,
                                                        "number_id": two.second.id}).get_json()  # fmt: skip
    assert count["tier_warning"] and "TIER_250" in count["tier_warning"]
    count = web.post("/campaigns/audience.json", json={"list_ids": [big.id], "variables": VARS,
                                                        "number_id": two.credential.id}).get_json()  # fmt: skip
    assert count["tier_warning"] is None


def test_single_number_wizard_has_no_number_choice(setup, login_as):
    web = login_as(setup.tenant.admin, setup.tenant)
    page = web.get("/campaigns/new").get_data(as_text=True)
    assert '<select class="form-select audience-input" id="number_id"' not in page
    assert (
        f'<input type="hidden" id="number_id" name="number_id" value="{setup.credential.id}">'
        in page
    )


def test_replies_count_on_the_campaigns_number_only(two, create_message):
    ids = add_contacts(two.tenant, 2)
    lst = make_list(two.tenant, ids)
    campaign = _campaign(two, [lst.id], number_id=two.second.id, template_id=two.second_template.id)
    svc.start_campaign(two.tenant.id, campaign.id)
    from clickpro.models import Contact

    first, other = (db.session.get(Contact, i) for i in ids)
    create_message(two.tenant, first, number_id=two.second.id, body="Quero!")
    create_message(two.tenant, other, number_id=two.credential.id, body="Outro assunto")
    stats._replies_cache.clear()
    assert stats.replies(campaign.id) == 1


def test_api_phone_number_id_in_and_out(
    two, app, create_client, sandbox, create_whatsapp_credential
):
    _row, token = api_tokens.create_token(two.tenant.id, "integração")
    http, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    lst = make_list(two.tenant, add_contacts(two.tenant, 2))
    body = {"name": "API", "template_id": two.second_template.id, "list_ids": [lst.id],
            "variables": VARS, "rate_mps": 5, "phone_number_id": two.second.phone_number_id}  # fmt: skip
    created = http.post("/api/v1/campaigns", json=body, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    out = created.get_json()
    assert out["phone_number_id"] == two.second.phone_number_id
    got = http.get(f"/api/v1/campaigns/{out['id']}", headers=headers).get_json()
    assert got["phone_number_id"] == two.second.phone_number_id
    default = http.post("/api/v1/campaigns", headers=headers,
                        json={**body, "template_id": two.template.id, "phone_number_id": None})  # fmt: skip
    assert default.status_code == 201 and default.get_json()["phone_number_id"] == FIRST_PHONE_ID
    wrong_waba = http.post(
        "/api/v1/campaigns", json={**body, "template_id": two.template.id}, headers=headers
    )
    assert wrong_waba.status_code == 422
    other = create_client("Outra API")
    account = sandbox.create_account()
    foreign = create_whatsapp_credential(other, {
        "access_token": account.access_token, "waba_id": account.waba_id,
        "phone_number_id": account.phone_number_id, "app_id": account.app_id})  # fmt: skip
    for phone_number_id in (foreign.phone_number_id, "123456789"):
        refused = http.post("/api/v1/campaigns", json={**body, "phone_number_id": phone_number_id},
                            headers=headers)  # fmt: skip
        assert refused.status_code == 422
        assert refused.get_json()["error"]["code"] == "validation_error"
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 2
    started = http.post(f"/api/v1/campaigns/{out['id']}/start", headers=headers)
    assert started.status_code == 200, started.get_data(as_text=True)
    assert {s["phone_number_id"] for s in two.sandbox.list_sends()} == {two.second.phone_number_id}


def test_campaign_list_names_each_campaigns_number(two, login_as):
    lst = make_list(two.tenant, add_contacts(two.tenant, 1))
    _campaign(two, [lst.id], name="Pelo centro", number_id=two.second.id,
              template_id=two.second_template.id)  # fmt: skip
    old = _campaign(two, [lst.id], name="Antiga")
    db.session.execute(sa.update(Campaign).where(Campaign.id == old.id).values(number_id=None))
    db.session.commit()
    page = login_as(two.tenant.admin, two.tenant).get("/campaigns").get_data(as_text=True)
    cells = page.split('data-testid="campaign-number">')[1:]
    shown = [cell.split("<", 1)[0] for cell in cells]
    assert shown == ["+55 11 3000-0000", "Loja Centro"]  # newest first; NULL = first number


def test_sheet_campaign_goes_out_from_a_number_of_its_templates_waba(two, login_as, recorder):
    import io

    web = login_as(two.tenant.admin, two.tenant)
    page = web.get("/campaigns/from-sheet").get_data(as_text=True)
    assert "— Loja Centro" in page  # two WABAs: each template names its numbers
    sheet = "telefone,nome,cupom\n+5511988880001,Ana,ANA10\n"
    data = {"name": "Planilha", "template_id": str(two.second_template.id),
            "file": (io.BytesIO(sheet.encode()), "lista.csv")}  # fmt: skip
    response = web.post("/campaigns/from-sheet", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.number_id == two.second.id
    assert web.post(f"/campaigns/{campaign.id}/start").status_code == 302
    assert {s["phone_number_id"] for s in two.sandbox.list_sends()} == {two.second.phone_number_id}
