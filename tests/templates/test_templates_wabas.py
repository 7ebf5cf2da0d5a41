"""Templates belong to a WABA (#16): a client with two numbers on two WABAs has two
template lists — sync, list, creation, status webhooks and the API keep them apart."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import sqlalchemy as sa
from template_helpers import form_data

from clickpro.models import Template
from clickpro.services.templates.service import sync_templates
from clickpro.services.templates.wabas import client_wabas

FIRST_WABA = "100000000000001"


@pytest.fixture
def second(tenant, sandbox, sandbox_account, create_whatsapp_credential):
    """A second number of ``tenant`` on another WABA (its own token) in the sandbox."""
    account = {**sandbox_account(), "display_phone_number": "+55 11 3000-0002"}
    return create_whatsapp_credential(tenant, account, display_name="Suporte")


def _rows(db, tenant) -> dict[tuple[str, str], Template]:
    rows = db.session.scalars(sa.select(Template).where(Template.client_id == tenant.id))
    return {(t.waba_id, t.name): t for t in rows}


def test_sync_stores_each_wabas_templates_with_its_own_token(
    tenant, second, db, create_on_meta, meta_calls, sandbox
):
    first_id = create_on_meta("promo", waba_id=FIRST_WABA)
    second_id = create_on_meta("promo", waba_id=second.waba_id)  # same name, other WABA
    create_on_meta("so_suporte", waba_id=second.waba_id)
    result = sync_templates(tenant.id)
    assert (result.created, result.errors, result.skipped) == (3, [], False)
    rows = _rows(db, tenant)
    assert set(rows) == {
        (FIRST_WABA, "promo"),
        (second.waba_id, "promo"),
        (second.waba_id, "so_suporte"),
    }
    assert rows[(FIRST_WABA, "promo")].meta_template_id == first_id
    assert rows[(second.waba_id, "promo")].meta_template_id == second_id
    listed = {path for method, path in meta_calls.calls if method == "GET"}
    assert any(p.endswith(f"/{FIRST_WABA}/message_templates") for p in listed)
    assert any(p.endswith(f"/{second.waba_id}/message_templates") for p in listed)
    # Idempotent per WABA; a status change on one WABA moves only its row.
    sandbox.templates.set_status(second_id, "PAUSED")
    again = sync_templates(tenant.id)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    db.session.expire_all()
    rows = _rows(db, tenant)
    assert rows[(second.waba_id, "promo")].status == "PAUSED"
    assert rows[(FIRST_WABA, "promo")].status == "APPROVED"


def test_a_template_missing_on_one_waba_is_not_deleted_by_the_other(
    tenant, second, db, create_on_meta, sandbox
):
    create_on_meta("aviso", waba_id=FIRST_WABA)
    create_on_meta("aviso", waba_id=second.waba_id)
    sync_templates(tenant.id)
    sandbox.templates.delete(second.waba_id, "aviso")
    sync_templates(tenant.id)
    db.session.expire_all()
    rows = _rows(db, tenant)
    assert rows[(second.waba_id, "aviso")].status == "DELETED"
    assert rows[(FIRST_WABA, "aviso")].status == "APPROVED"


def test_legacy_rows_without_a_waba_are_the_first_numbers(
    tenant, second, db, create_template, create_on_meta
):
    meta_id = create_on_meta("antigo", waba_id=FIRST_WABA)
    create_on_meta("antigo", waba_id=second.waba_id)
    legacy = create_template(tenant, name="antigo", status="PENDING", waba_id="")  # legacy row
    assert legacy.waba_id == ""
    result = sync_templates(tenant.id)
    assert result.created == 1  # only the second WABA's copy is new
    db.session.refresh(legacy)
    assert legacy.waba_id == FIRST_WABA and legacy.meta_template_id == meta_id


def test_list_shows_and_filters_by_waba_only_with_two(
    admin_web, tenant, db, create_template, sandbox_account, create_whatsapp_credential
):
    create_template(tenant, name="um_so", waba_id=FIRST_WABA)
    page = admin_web.get("/templates").get_data(as_text=True)
    assert 'data-testid="waba-filter"' not in page  # one WABA: nothing to choose
    account = sandbox_account()
    create_whatsapp_credential(tenant, account, display_name="Loja Centro")
    create_template(tenant, name="do_centro", waba_id=account["waba_id"])
    page = admin_web.get("/templates").get_data(as_text=True)
    assert 'data-testid="waba-filter"' in page and "Loja Centro" in page
    filtered = admin_web.get(f"/templates?waba={account['waba_id']}").get_data(as_text=True)
    assert 'data-template-row="do_centro:pt_BR"' in filtered
    assert 'data-template-row="um_so:pt_BR"' not in filtered
    # an unknown WABA in the URL is ignored (the whole list), never another client's rows
    everything = admin_web.get("/templates?waba=999999999").get_data(as_text=True)
    assert "um_so" in everything and "do_centro" in everything


def test_form_submits_to_the_chosen_waba(admin_web, tenant, second, db, sandbox, meta_calls):
    page = admin_web.get("/templates/new").get_data(as_text=True)
    assert 'name="waba_id"' in page and "Suporte" in page
    response = admin_web.post("/templates/new", data=form_data(waba_id=second.waba_id))
    assert response.status_code == 302, response.get_data(as_text=True)
    row = db.session.scalar(sa.select(Template).where(Template.name == "pedido_enviado"))
    assert row.waba_id == second.waba_id
    assert sandbox.templates.find(second.waba_id, "pedido_enviado", "pt_BR") is not None
    assert sandbox.templates.find(FIRST_WABA, "pedido_enviado", "pt_BR") is None
    # The same name on the first WABA is another template (no duplicate refusal) ...
    response = admin_web.post("/templates/new", data=form_data())
    assert response.status_code == 302
    assert sandbox.templates.find(FIRST_WABA, "pedido_enviado", "pt_BR") is not None
    # ... but twice on one WABA is refused before any Graph call.
    creates = len(meta_calls.creates())
    again = admin_web.post("/templates/new", data=form_data(waba_id=second.waba_id))
    assert again.status_code == 400 and "Já existe um modelo" in again.get_data(as_text=True)
    assert len(meta_calls.creates()) == creates


def test_form_refuses_a_waba_that_is_not_the_clients(admin_web, tenant, second, db, meta_calls):
    response = admin_web.post("/templates/new", data=form_data(waba_id="123456789012345"))
    assert response.status_code == 400
    assert "WABA" in response.get_data(as_text=True)
    assert meta_calls.creates() == []
    assert db.session.scalar(sa.select(sa.func.count(Template.id))) == 0


def _signed(client, app, payload: dict):
    body = json.dumps(payload).encode()
    secret = app.config["META_APP_SECRET"]
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhook",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )


def test_status_webhook_moves_the_template_of_the_entrys_waba_only(
    app, client, tenant, second, db, create_template
):
    mine = create_template(tenant, name="promo", status="PENDING", waba_id=FIRST_WABA)
    theirs = create_template(tenant, name="promo", status="PENDING", waba_id=second.waba_id)
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": second.waba_id,
                "time": 1732400000,
                "changes": [
                    {
                        "field": "message_template_status_update",
                        "value": {
                            "event": "APPROVED",
                            "message_template_id": 777000111,  # not stored: by name+language
                            "message_template_name": "promo",
                            "message_template_language": "pt_BR",
                            "reason": "NONE",
                        },
                    }
                ],
            }
        ],
    }
    assert _signed(client, app, payload).status_code == 200
    db.session.expire_all()
    assert db.session.get(Template, theirs.id).status == "APPROVED"
    assert db.session.get(Template, mine.id).status == "PENDING"


def test_api_waba_in_list_filter_create_and_sync(
    app, tenant, second, db, create_on_meta, create_template
):
    from clickpro.services.api import tokens as api_tokens

    _row, token = api_tokens.create_token(tenant.id, "integração")
    headers = {"Authorization": f"Bearer {token}"}
    http = app.test_client()
    create_on_meta("promo", waba_id=FIRST_WABA)
    create_on_meta("promo", waba_id=second.waba_id)
    synced = http.post("/api/v1/templates/sync", headers=headers)
    assert synced.status_code == 200 and synced.get_json()["created"] == 2
    listed = http.get("/api/v1/templates", headers=headers).get_json()["data"]
    assert sorted(t["waba_id"] for t in listed) == sorted([FIRST_WABA, second.waba_id])
    only = http.get(f"/api/v1/templates?waba_id={second.waba_id}", headers=headers).get_json()
    assert [t["waba_id"] for t in only["data"]] == [second.waba_id]
    body = {
        "name": "via_api",
        "category": "UTILITY",
        "body_text": "Seu pedido saiu para entrega hoje.",
        "waba_id": second.waba_id,
    }
    created = http.post("/api/v1/templates", json=body, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["waba_id"] == second.waba_id
    default = http.post("/api/v1/templates", json={**body, "waba_id": None}, headers=headers)
    assert default.status_code == 201 and default.get_json()["waba_id"] == FIRST_WABA
    foreign = http.post(
        "/api/v1/templates", json={**body, "name": "outro", "waba_id": "5550001"}, headers=headers
    )
    assert foreign.status_code == 422
    assert "waba_id" in foreign.get_json()["error"]["details"]
    # a row stored before templates had a WABA answers with the first number's
    legacy = create_template(tenant, name="legado")
    got = http.get(f"/api/v1/templates/{legacy.id}", headers=headers).get_json()
    assert got["waba_id"] == FIRST_WABA


def test_wabas_are_the_distinct_ones_of_active_numbers(tenant, second, db):
    from clickpro.models.base import utcnow

    assert [w.waba_id for w in client_wabas(tenant.id)] == [FIRST_WABA, second.waba_id]
    second.archived_at = utcnow()
    db.session.commit()
    assert [w.waba_id for w in client_wabas(tenant.id)] == [FIRST_WABA]
