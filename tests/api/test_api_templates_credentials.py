"""Templates (list, get, submit with the form's validation, sync) and credentials."""

from __future__ import annotations

from api_helpers import assert_error

from clickpro.crypto import decrypt
from clickpro.services.credentials import get_openai_credential, get_whatsapp_credential


def test_templates_list_get_and_filter(app, api, tenant, create_template, create_client,
                                       api_for):  # fmt: skip
    approved = create_template(tenant, name="promo")
    create_template(tenant, name="rascunho", status="REJECTED")
    listed = api.get("/api/v1/templates").get_json()
    assert {t["name"] for t in listed["data"]} == {"promo", "rascunho"}
    only = api.get("/api/v1/templates?status=approved").get_json()["data"]
    assert [t["id"] for t in only] == [approved.id]
    got = api.get(f"/api/v1/templates/{approved.id}").get_json()
    assert got["status"] == "APPROVED" and got["components"][0]["type"] == "BODY"
    assert_error(api_for(create_client()).get(f"/api/v1/templates/{approved.id}"), 404)


def test_template_submit_uses_the_form_validation(app, api, wired):
    bad = api.post("/api/v1/templates", json={"name": "Nome Inválido", "body_text": ""})
    error = assert_error(bad, 422, "validation_error")
    assert "name" in error["details"] and "body_text" in error["details"]
    good = api.post("/api/v1/templates", json={
        "name": "boas_vindas", "category": "UTILITY",
        "body_text": "Olá {{1}}, seu pedido chegou!", "body_examples": ["Maria"],
    })  # fmt: skip
    assert good.status_code == 201, good.get_json()
    assert good.get_json()["status"] in ("PENDING", "APPROVED")
    assert good.get_json()["meta_template_id"]
    again = api.post("/api/v1/templates", json={
        "name": "boas_vindas", "body_text": "Olá {{1}}!", "body_examples": ["Maria"]})  # fmt: skip
    assert "name" in assert_error(again, 422)["details"]


def test_template_sync_pulls_templates_made_outside(app, db, api, wired):
    account = wired.sandbox.account_for_number("100000000000011")
    body, _ = wired.sandbox.templates.create(account, {
        "name": "feito_no_meta", "language": "pt_BR", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Oi!"}]})  # fmt: skip
    response = api.post("/api/v1/templates/sync")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] >= 1 and response.get_json()["skipped"] is False
    names = {t["name"] for t in api.get("/api/v1/templates").get_json()["data"]}
    assert "feito_no_meta" in names


def test_template_sync_without_credentials_is_skipped(app, api):
    assert api.post("/api/v1/templates/sync").get_json()["skipped"] is True


def test_whatsapp_credentials_put_validates_live_and_shows_last4(app, api, sandbox, tenant):
    empty = api.get("/api/v1/whatsapp-credentials").get_json()
    assert empty["configured"] is False and empty["token_last4"] is None
    data = {"access_token": "sandbox-token", "waba_id": "100000000000001",
            "phone_number_id": "100000000000011", "app_id": "100000000000021",
            "app_secret": "sandbox-app-secret"}  # fmt: skip
    bad = api.put("/api/v1/whatsapp-credentials", json={**data, "access_token": "wrong-token-1234"})
    error = assert_error(bad, 422, "validation_error")
    assert "access_token" in error["details"]
    assert get_whatsapp_credential(tenant.id) is None
    saved = api.put("/api/v1/whatsapp-credentials", json=data)
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["configured"] and body["status"] == "VALID" and body["token_last4"] == "oken"
    assert body["app_secret_set"] is True
    text = api.get("/api/v1/whatsapp-credentials").get_data(as_text=True)
    assert "sandbox-token" not in text and "sandbox-app-secret" not in text
    assert decrypt(get_whatsapp_credential(tenant.id).access_token_enc) == "sandbox-token"


def test_openai_credentials_put_validates_live(app, api, sandbox, tenant):
    data = {"api_key": "sk-test-abcdef123456WXYZ", "model": "gpt-4.1-mini",
            "instructions": "Seja breve.", "ai_enabled": True, "temperature": 0.5,
            "handoff_keywords": ["atendente"]}  # fmt: skip
    bad = api.put("/api/v1/openai-credentials", json={**data, "model": "modelo-que-nao-existe"})
    assert "model" in assert_error(bad, 422)["details"]
    saved = api.put("/api/v1/openai-credentials", json=data)
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["key_last4"] == "WXYZ" and body["ai_enabled"] is True
    assert body["temperature"] == 0.5 and body["handoff_keywords"] == ["atendente"]
    assert "sk-test" not in api.get("/api/v1/openai-credentials").get_data(as_text=True)
    # Without api_key the stored key is kept (like the form); other fields keep theirs.
    kept = api.put("/api/v1/openai-credentials", json={"model": "gpt-4.1-mini",
                                                       "ai_enabled": False})  # fmt: skip
    assert kept.status_code == 200 and kept.get_json()["ai_enabled"] is False
    assert kept.get_json()["temperature"] == 0.5
    assert decrypt(get_openai_credential(tenant.id).api_key_enc) == data["api_key"]
