"""Where costs are shown: the API (CampaignOut.cost, /api/v1/costs), the pages, CLI, admin."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from decimal import Decimal

from webhook_helpers import post, statuses_payload

from clickpro.extensions import db
from clickpro.models import RateCard
from clickpro.services.api import tokens as api_tokens
from clickpro.services.costs.loading import CardSpec, load_card

NOW = int(time.time())
TODAY = datetime.now(UTC).date().isoformat()


def _brl_card():
    return load_card(
        CardSpec(name="BRL", currency="BRL", valid_from=datetime(2020, 1, 1, tzinfo=UTC)),
        {("marketing", "BR"): Decimal("0.0625"), ("utility", "BR"): Decimal("0.04")},
    )


def _delivered(wamid, category="marketing", kind="regular"):
    return {
        "id": wamid,
        "status": "delivered",
        "timestamp": str(NOW),
        "recipient_id": "5511900000000",
        "pricing": {"billable": kind == "regular", "pricing_model": "PMP", "type": kind,
                    "category": category},
    }  # fmt: skip


def _bearer(tenant) -> dict:
    _row, raw = api_tokens.create_token(tenant.id, "custos")
    return {"Authorization": f"Bearer {raw}"}


def test_api_campaign_cost_and_costs_report(client, shop, sent_campaign, create_client):
    _brl_card()
    campaign = sent_campaign(shop, ["+5511990000101", "+5511990000102", "+5511990000103"])
    a, b, c = (row.wamid for row in campaign.rows)
    items = [_delivered(a), _delivered(b), _delivered(c, "utility", "free_customer_service")]
    assert post(client, statuses_payload(items)).status_code == 200
    headers = _bearer(shop)

    body = client.get(f"/api/v1/campaigns/{campaign.id}", headers=headers).get_json()
    cost = body["cost"]
    assert cost["currency"] == "BRL"
    assert cost["estimated"] == 0.1875  # 3 recipients × marketing BR
    assert cost["actual"] == 0.125
    assert cost["by_category"] == {"marketing": 0.125, "utility": 0.0}
    assert cost["free_messages"] == 1

    url = f"/api/v1/costs?from={TODAY}&to={TODAY}&group_by=category"
    report = client.get(url, headers=headers).get_json()
    assert report["group_by"] == "category" and report["start"] == TODAY
    by_key = {row["key"]: row for row in report["data"]}
    assert by_key["marketing"]["amount"] == 0.125 and by_key["marketing"]["charged"] == 2
    assert by_key["utility"]["free"] == 1 and by_key["utility"]["amount"] == 0
    by_campaign = client.get(url.replace("category", "campaign"), headers=headers).get_json()
    assert [(r["key"], r["label"]) for r in by_campaign["data"]] == [
        (str(campaign.id), campaign.name)
    ]
    by_number = client.get(url.replace("category", "number"), headers=headers).get_json()
    assert {r["key"] for r in by_number["data"]} == {"100000000000011"}
    by_day = client.get(url.replace("category", "day"), headers=headers).get_json()
    assert [r["key"] for r in by_day["data"]] == [TODAY]

    # Another client sees none of it; its token cannot read the campaign.
    other = _bearer(create_client("Outra"))
    assert client.get(url, headers=other).get_json()["data"] == []
    assert client.get(f"/api/v1/campaigns/{campaign.id}", headers=other).status_code == 404


def test_api_costs_bad_parameters_are_422_not_500(client, shop):
    headers = _bearer(shop)
    for query in ("from=2026-13-01&to=2026-12-01", "from=2026-12-02&to=2026-12-01",
                  "from=2026-01-01&to=2026-01-02&group_by=week", "to=2026-01-01",
                  "from=2020-01-01&to=2026-01-01"):  # fmt: skip
        response = client.get(f"/api/v1/costs?{query}", headers=headers)
        assert response.status_code in (400, 422), (query, response.status_code)


def test_openapi_documents_costs(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/costs" in doc["paths"] or "/costs" in str(doc["paths"])
    text = str(doc)
    assert "CampaignCostOut" in text and "group_by" in text


def test_costs_page_and_campaign_partial(client, shop, sent_campaign, login_as):
    _brl_card()
    campaign = sent_campaign(shop, ["+5511990000201", "+5511990000202"])
    post(client, statuses_payload([_delivered(campaign.rows[0].wamid)]))
    login_as(shop.admin, shop)
    page = client.get("/costs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "R$\xa00,06" in html or "R$ 0,06" in html
    assert campaign.name in html
    assert client.get("/costs?month=2026-99").status_code == 400
    detail = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-testid="campaign-cost"' in detail
    assert "~R$" in detail  # the estimate (2 × 0,0625 = 0,13)
    live = client.get(f"/costs/campaigns/{campaign.id}.json").get_json()
    assert live["actual"] == 0.0625 and live["text"]["per_delivered"].startswith("R$")


def test_wizard_estimate_text(client, shop, create_contact, create_list, create_template, login_as):
    _brl_card()
    contacts = [create_contact(shop, f"+55119900003{i:02d}") for i in range(4)]
    contact_list = create_list(shop, contacts=contacts)
    template = create_template(shop, category="MARKETING")
    login_as(shop.admin, shop)
    response = client.post(
        "/costs/estimate.json",
        json={"template_id": template.id, "list_ids": [contact_list.id]},
    )
    data = response.get_json()
    assert data["recipients"] == 4 and data["amount"] == 0.25
    assert data["text"].replace("\xa0", " ") == "~R$ 0,25 para 4 contatos"
    # Another client's list or template is ignored, never priced.
    other = create_client_like(shop, create_list, create_template)
    response = client.post(
        "/costs/estimate.json",
        json={"template_id": other.template.id, "list_ids": [other.list.id]},
    )
    assert response.get_json()["amount"] is None


def create_client_like(shop, create_list, create_template):
    from clickpro.models import Client

    other = Client(name="Outro", slug="outro-custos")
    db.session.add(other)
    db.session.commit()

    class Other:
        pass

    o = Other()
    o.list = create_list(other)
    o.template = create_template(other)
    return o


def test_cli_rates_load(runner, app, tmp_path, shop):
    path = tmp_path / "card.csv"
    path.write_text(
        "categoria;mercado;preço\nmarketing;BR;0,35\nutility;BR;0,05\n", encoding="utf-8"
    )
    result = runner.invoke(
        args=["rates", "load", str(path), "--name", "Revenda", "--currency", "BRL",
              "--valid-from", "2026-12-01", "--client", shop.slug, "--markup", "10",
              "--source", "tabela da agência", "--source-date", "2026-11-30"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    card = db.session.scalars(db.select(RateCard).where(RateCard.client_id == shop.id)).one()
    assert card.currency == "BRL" and card.markup_pct == Decimal("10")
    assert card.source_date.isoformat() == "2026-11-30"
    bad = tmp_path / "bad.csv"
    bad.write_text("category,market,price\nmarketing,BR,-1\n", encoding="utf-8")
    result = runner.invoke(
        args=[
            "rates",
            "load",
            str(bad),
            "--name",
            "X",
            "--currency",
            "BRL",
            "--valid-from",
            "2026-12-01",
        ]
    )
    assert result.exit_code != 0 and "2" in result.output


def test_admin_uploads_a_card(client, create_user, login_as):
    admin = create_user("root@example.com", is_super_admin=True)
    login_as(admin)
    page = client.get("/admin/admin_rate_cards/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Meta — Brasil (padrão)" in html  # the default card is seeded and listed
    data = {
        "name": "Meta 2027",
        "currency": "USD",
        "valid_from": "2027-01-01",
        "source": "Meta",
        "client_id": "0",
        "markup_pct": "0",
        "file": (io.BytesIO(b"category,market,price\nmarketing,BR,0.07\n"), "card.csv"),
    }
    response = client.post(
        "/admin/admin_rate_cards/", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.scalar(db.select(RateCard).where(RateCard.name == "Meta 2027")) is not None
    data["file"] = (io.BytesIO(b"category,market,price\nfoo,BR,1\n"), "card.csv")
    data["name"] = "Ruim"
    response = client.post(
        "/admin/admin_rate_cards/", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert db.session.scalar(db.select(RateCard).where(RateCard.name == "Ruim")) is None
    # Not for a client admin: 404.
    other = create_user("someone@example.com")
    login_as(other)
    assert client.get("/admin/admin_rate_cards/").status_code in (302, 404)
