"""Campaign pages through the Flask test client: wizard, review, actions, JSON, CSV, roles."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.extensions import db
from clickpro.models import Campaign, Role


def wizard_form(setup, lst, **extra):
    data = {"name": "Natal", "template_id": str(setup.template.id), "list_ids": [str(lst.id)],
            "var-body-0": "{{contact.name}}", "var-body-1": "{{contact.cupom}}",
            "missing_value_policy": "skip", "start_mode": "now", "rate_mps": "40"}  # fmt: skip
    data.update(extra)
    return data


def test_wizard_save_review_start_progress_and_csv(setup, login_as):
    web = login_as(setup.tenant.admin, setup.tenant)
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 5))
    assert web.get("/campaigns/new").status_code == 200
    info = web.get(f"/campaigns/templates/{setup.template.id}.json").get_json()
    assert info["slots"]["body"] == 2 and "cupom" in info["attributes"]
    count = web.post("/campaigns/audience.json", json={"list_ids": [lst.id], "variables": {
        "body": ["{{contact.name}}", "{{contact.cupom}}"]}}).get_json()  # fmt: skip
    assert count["eligible"] == 5 and count["tier_warning"] is None
    preview = web.post("/campaigns/preview.json", json={"template_id": setup.template.id, "list_ids": [lst.id],
                       "variables": {"body": ["{{contact.name}}", "{{contact.cupom}}"]}}).get_json()  # fmt: skip
    assert preview["body"].startswith("Olá Pessoa 0, seu cupom é C0") and preview["missing"] == []
    response = web.post("/campaigns/new", data=wizard_form(setup, lst))
    assert response.status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.variables["body"] == ["{{contact.name}}", "{{contact.cupom}}"]
    page = web.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "5 contato(s) vão receber" in page and 'data-testid="action-start"' in page
    assert web.post(f"/campaigns/{campaign.id}/start").status_code == 302
    data = web.get(f"/campaigns/{campaign.id}/progress.json").get_json()
    assert (
        data["status"] == "COMPLETED" and data["percent"] == 100.0 and data["counters"]["sent"] == 5
    )
    exported = web.get(f"/campaigns/{campaign.id}/export.csv")
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"  # once
    body = exported.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))  # Excel pt-BR: ";" and a BOM
    assert rows[0][:3] == ["Telefone", "Nome", "Situação"] and len(rows) == 6
    assert {r[2] for r in rows[1:]} == {"Enviada"} and all(
        r[3].startswith("wamid.") for r in rows[1:]
    )
    assert "Natal" in web.get("/campaigns").get_data(as_text=True)


def test_wizard_refusal_is_shown_not_500(setup, login_as):
    web = login_as(setup.tenant.admin, setup.tenant)
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 1))
    response = web.post("/campaigns/new", data=wizard_form(setup, lst, rate_mps="500"))
    assert response.status_code == 200
    assert "velocidade máxima" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0


def test_agent_is_refused_every_campaign_page(setup, login_as, create_member):
    """Campaigns are the client admin's (docs/roles.md): an agent gets 403 on every page,
    its JSON and its actions; the same URLs open for the admin (so 403 is the role)."""
    member = create_member(setup.tenant, Role.CLIENT_USER)
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 1))
    from clickpro.services.campaigns import service as svc

    campaign = svc.save_campaign(setup.tenant.id, {"name": "X", "template_id": setup.template.id,
                                                   "list_ids": [lst.id], "variables": {"body": ["a", "b"]}})  # fmt: skip
    pages = ("/campaigns", f"/campaigns/{campaign.id}", f"/campaigns/{campaign.id}/progress.json",
             f"/campaigns/{campaign.id}/export.csv", "/campaigns/new")  # fmt: skip
    web = login_as(member, setup.tenant)
    for url in pages:
        assert web.get(url).status_code == 403, url
    assert web.post(f"/campaigns/{campaign.id}/start").status_code == 403
    assert db.session.get(Campaign, campaign.id).status == "DRAFT"
    web = login_as(setup.tenant.admin, setup.tenant)
    for url in pages:
        assert web.get(url).status_code == 200, url


def test_other_clients_campaign_is_404(setup, login_as, create_client):
    other = create_client()
    lst = make_list(setup.tenant, add_contacts(setup.tenant, 1))
    from clickpro.services.campaigns import service as svc

    campaign = svc.save_campaign(setup.tenant.id, {"name": "X", "template_id": setup.template.id,
                                                   "list_ids": [lst.id], "variables": {"body": ["a", "b"]}})  # fmt: skip
    web = login_as(other.admin, other)
    for url in (f"/campaigns/{campaign.id}", f"/campaigns/{campaign.id}/progress.json",
                f"/campaigns/{campaign.id}/export.csv", f"/campaigns/{campaign.id}/edit"):  # fmt: skip
        assert web.get(url).status_code == 404, url
    assert web.post(f"/campaigns/{campaign.id}/start").status_code == 404
    count = web.post("/campaigns/audience.json", json={"list_ids": [lst.id]}).get_json()
    assert count["eligible"] == 0  # another client's list counts nobody


def test_campaign_from_spreadsheet_uses_rows_as_audience_and_variables(setup, login_as, recorder):
    import io as _io

    web = login_as(setup.tenant.admin, setup.tenant)
    sheet = "telefone,nome,cupom\n+5511988880001,Ana,ANA10\n+5511988880002,Bruno,BRU20\n+5511988880003,Carla,CAR30\n"
    response = web.post(
        "/campaigns/from-sheet",
        data={"name": "Planilha", "template_id": str(setup.template.id),
              "file": (_io.BytesIO(sheet.encode()), "lista.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.variables["body"] == ["{{contact.name}}", "{{contact.cupom}}"]
    assert web.get(response.headers["Location"]).status_code == 200  # the wizard, to review
    assert web.post(f"/campaigns/{campaign.id}/start").status_code == 302
    sent = {
        p["to"]: [x["text"] for x in p["template"]["components"][0]["parameters"]]
        for p in recorder.payloads
    }
    assert sent == {"5511988880001": ["Ana", "ANA10"], "5511988880002": ["Bruno", "BRU20"],
                    "5511988880003": ["Carla", "CAR30"]}  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == "COMPLETED"


def test_spreadsheet_refusals_are_clear(setup, login_as):
    import io as _io

    web = login_as(setup.tenant.admin, setup.tenant)
    response = web.post(
        "/campaigns/from-sheet",
        data={"name": "X", "template_id": str(setup.template.id), "file": (_io.BytesIO(b"\x00\x01binary"), "a.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 200 and 'data-testid="sheet-error"' in response.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0
