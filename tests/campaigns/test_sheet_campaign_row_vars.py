"""A campaign from a spreadsheet sends each row's own values to that recipient (frozen
when the sheet is imported), never rewrites the master contact, and the wizard's sample
is never an opted-out contact."""

from __future__ import annotations

import io

import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.extensions import db
from clickpro.models import Campaign, Contact, OptOut
from clickpro.models.contacts import CampaignRecipientValues
from clickpro.services.contacts.service import create_contact

SHEET = (
    "telefone,nome,cupom\n"
    "+5511988880001,Ana,ANA10\n"
    "+5511988880002,Bruno,BRU20\n"
    "11 8888-0001,Outra Ana,NAO-USAR\n"  # the same number as line 2 (8-digit form)
)


def _from_sheet(web, setup, sheet: str, **extra):
    data = {"name": "Planilha", "template_id": str(setup.template.id),
            "file": (io.BytesIO(sheet.encode()), "lista.csv"), **extra}  # fmt: skip
    response = web.post("/campaigns/from-sheet", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(sa.select(Campaign).order_by(Campaign.id.desc()))


def _sent(recorder) -> dict[str, list[str]]:
    return {
        p["to"]: [x["text"] for x in p["template"]["components"][0]["parameters"]]
        for p in recorder.payloads
    }


def test_rows_values_reach_their_recipient_and_master_contact_is_kept(setup, login_as, recorder):
    tenant = setup.tenant
    create_contact(tenant.id, "+5511988880001", "Ana Antiga", {"cupom": "VELHO", "cidade": "SP"})
    web = login_as(tenant.admin, tenant)
    campaign = _from_sheet(web, setup, SHEET)
    values = {
        v.line_number: (v.name, v.attributes)
        for v in db.session.scalars(
            sa.select(CampaignRecipientValues).where(
                CampaignRecipientValues.campaign_id == campaign.id
            )
        )
    }
    assert values == {2: ("Ana", {"cupom": "ANA10"}), 3: ("Bruno", {"cupom": "BRU20"})}
    ana = db.session.scalar(sa.select(Contact).where(Contact.phone_e164 == "+5511988880001"))
    assert ana.name == "Ana Antiga" and ana.attributes == {"cupom": "VELHO", "cidade": "SP"}
    assert web.post(f"/campaigns/{campaign.id}/start").status_code == 302
    assert _sent(recorder) == {
        "5511988880001": ["Ana", "ANA10"],  # the row's values, not the master's
        "5511988880002": ["Bruno", "BRU20"],
    }
    db.session.expire_all()
    ana = db.session.get(Contact, ana.id)
    assert ana.name == "Ana Antiga" and ana.attributes["cupom"] == "VELHO"


def test_the_review_and_wizard_count_the_rows_values(setup, login_as):
    """A master contact without a coupon whose row has one is not "missing"."""
    tenant = setup.tenant
    create_contact(tenant.id, "+5511988880001", "Ana Antiga", {})
    web = login_as(tenant.admin, tenant)
    campaign = _from_sheet(web, setup, SHEET)
    list_id = db.session.scalar(
        sa.text("SELECT list_id FROM campaign_lists WHERE campaign_id = :c"), {"c": campaign.id}
    )
    count = web.post("/campaigns/audience.json", json={
        "list_ids": [list_id], "campaign_id": campaign.id,
        "variables": {"body": ["{{contact.name}}", "{{contact.cupom}}"]},
    }).get_json()  # fmt: skip
    assert (count["eligible"], count["missing"]) == (2, 0)
    page = web.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "2 contato(s) vão receber" in page
    assert "Olá Ana, seu cupom é ANA10!" in page  # the review's sample: the row's values


def test_update_existing_on_the_sheet_campaign_rewrites_the_master(setup, login_as):
    tenant = setup.tenant
    create_contact(tenant.id, "+5511988880001", "Ana Antiga", {"cupom": "VELHO"})
    web = login_as(tenant.admin, tenant)
    page = web.get("/campaigns/from-sheet").get_data(as_text=True)
    assert 'name="update_existing"' in page
    _from_sheet(web, setup, SHEET, update_existing="1")
    ana = db.session.scalar(sa.select(Contact).where(Contact.phone_e164 == "+5511988880001"))
    assert ana.name == "Ana" and ana.attributes == {"cupom": "ANA10"}


def test_the_sample_is_never_an_opted_out_contact(setup, login_as):
    tenant = setup.tenant
    ids = add_contacts(tenant, 3)
    lst = make_list(tenant, ids)
    first = db.session.get(Contact, min(ids))
    db.session.add(OptOut(client_id=tenant.id, phone_e164=first.phone_e164, source="manual"))
    db.session.commit()
    web = login_as(tenant.admin, tenant)
    variables = {"body": ["{{contact.name}}", "{{contact.cupom}}"]}
    preview = web.post("/campaigns/preview.json", json={
        "template_id": setup.template.id, "list_ids": [lst.id], "variables": variables,
    }).get_json()  # fmt: skip
    assert preview["contact"]["phone"] != first.phone_e164
    assert preview["body"].startswith("Olá Pessoa 1, seu cupom é C1")
    # Excluded contacts are not samples either.
    second = db.session.get(Contact, sorted(ids)[1])
    excluded = make_list(tenant, [second.id])
    preview = web.post("/campaigns/preview.json", json={
        "template_id": setup.template.id, "list_ids": [lst.id], "variables": variables,
        "exclude_list_ids": [excluded.id],
    }).get_json()  # fmt: skip
    assert preview["body"].startswith("Olá Pessoa 2")
