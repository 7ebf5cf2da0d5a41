"""/api/v1/whatsapp-numbers: list, create (live test), get, patch, delete (archive)."""

from __future__ import annotations

import pytest
from api_helpers import assert_error

from clickpro.crypto import decrypt
from clickpro.models import WhatsAppCredential
from clickpro.services.credentials import save_openai_credentials

DEFAULT = {"access_token": "sandbox-token", "waba_id": "100000000000001",
           "phone_number_id": "100000000000011"}  # fmt: skip
SECRET_FIELDS = ("access_token", "access_token_enc", "app_secret", "app_secret_enc",
                 "verify_token", "verify_token_sha256")  # fmt: skip


@pytest.fixture
def second(sandbox):
    return sandbox.create_account(
        access_token="EAAGapiSecondNumber4321", verified_name="Loja API Suporte",
        display_phone_number="+55 11 3000-0009", messaging_tier="TIER_10K",
    )  # fmt: skip


def _body(account, **extra) -> dict:
    return {"access_token": account.access_token, "waba_id": account.waba_id,
            "phone_number_id": account.phone_number_id, **extra}  # fmt: skip


def test_crud(app, db, api, sandbox, tenant, second):
    assert api.get("/api/v1/whatsapp-numbers").get_json() == {"data": []}
    first = api.post("/api/v1/whatsapp-numbers", json={**DEFAULT, "display_name": "Vendas"})
    assert first.status_code == 201, first.get_json()
    created = api.post(
        "/api/v1/whatsapp-numbers",
        json=_body(second, display_name="Suporte", app_secret="segredo-api-suporte",
                   verify_token="verifica-api", ai_settings={"enabled": False,
                                                              "temperature": 0.9}),
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    number = created.get_json()
    assert number["display_name"] == "Suporte" and number["first"] is False
    assert number["phone_number_id"] == second.phone_number_id
    assert number["waba_id"] == second.waba_id
    assert number["verified_name"] == "Loja API Suporte"
    assert number["display_phone_number"] == "+55 11 3000-0009"
    assert number["messaging_tier"] == "TIER_10K" and number["quality_rating"] == "GREEN"
    assert number["status"] == "VALID" and number["archived"] is False
    assert number["app_secret_set"] is True and number["verify_token_set"] is True
    assert number["token_last4"] == "4321"
    assert number["ai_settings"]["enabled"] is False
    assert number["ai_settings"]["temperature"] == 0.9
    assert not set(SECRET_FIELDS) & set(number)

    listed = api.get("/api/v1/whatsapp-numbers")
    text = listed.get_data(as_text=True)
    assert [n["display_name"] for n in listed.get_json()["data"]] == ["Vendas", "Suporte"]
    assert listed.get_json()["data"][0]["first"] is True
    for secret in ("EAAGapiSecondNumber4321", "segredo-api-suporte", "verifica-api"):
        assert secret not in text

    url = f"/api/v1/whatsapp-numbers/{number['id']}"
    assert api.get(url).get_json() == number
    patched = api.patch(url, json={"display_name": "Suporte 24h",
                                   "ai_settings": {"instructions": "Só suporte."}})  # fmt: skip
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["display_name"] == "Suporte 24h"
    assert body["ai_settings"] == {"enabled": None, "instructions": "Só suporte.",
                                   "model": None, "temperature": None,
                                   "max_output_tokens": None, "context_messages": None,
                                   "handoff_keywords": None, "fallback_text": None}  # fmt: skip
    assert body["app_secret_set"] is True  # not sent: kept
    only_ai = api.patch(url, json={"ai_settings": None}).get_json()
    assert only_ai["ai_settings"] is None and only_ai["display_name"] == "Suporte 24h"
    cleared = api.patch(url, json={"clear_app_secret": True}).get_json()
    assert cleared["app_secret_set"] is False and cleared["verify_token_set"] is True

    deleted = api.delete(url)
    assert deleted.status_code == 204 and deleted.data == b""
    gone = api.get(url).get_json()
    assert gone["archived"] is True and gone["archived_at"] and gone["token_last4"] is None
    assert [n["id"] for n in api.get("/api/v1/whatsapp-numbers").get_json()["data"]] == [
        first.get_json()["id"]
    ]
    everything = api.get("/api/v1/whatsapp-numbers?include_archived=true").get_json()["data"]
    assert [n["archived"] for n in everything] == [False, True]
    assert (
        "validation_error" in assert_error(api.patch(url, json={"display_name": "X"}), 422)["code"]
    )
    row = db.session.get(WhatsAppCredential, number["id"])
    assert row.access_token_enc == "" and row.app_secret_enc is None

    restored = api.post("/api/v1/whatsapp-numbers", json=_body(second))
    assert restored.status_code == 201
    assert restored.get_json()["id"] == number["id"] and restored.get_json()["archived"] is False


def test_create_refused_by_meta_is_422_with_metas_message(app, db, api, sandbox, tenant, second):
    response = api.post("/api/v1/whatsapp-numbers", json=_body(second, access_token="EAAG-bad"))
    error = assert_error(response, 422, "validation_error")
    assert "Invalid OAuth access token" in error["message"]
    assert "access_token" in error["details"]
    unknown = api.post("/api/v1/whatsapp-numbers", json={**DEFAULT, "phone_number_id": "123456789"})
    assert "phone_number_id" in assert_error(unknown, 422)["details"]
    assert db.session.query(WhatsAppCredential).count() == 0
    extra = api.post("/api/v1/whatsapp-numbers", json={**DEFAULT, "nome": "x"})
    assert_error(extra, 422)


def test_new_token_in_patch_is_tested_live(app, db, api, sandbox, tenant):
    number = api.post("/api/v1/whatsapp-numbers", json=DEFAULT).get_json()
    url = f"/api/v1/whatsapp-numbers/{number['id']}"
    refused = api.patch(url, json={"access_token": "EAAG-revogado", "display_name": "Nunca"})
    assert "access_token" in assert_error(refused, 422)["details"]
    assert api.get(url).get_json()["display_name"] == "ClickPro Demo"
    assert decrypt(db.session.get(WhatsAppCredential, number["id"]).access_token_enc) == (
        "sandbox-token"
    )


def test_ai_model_is_checked_on_openai(app, api, sandbox, tenant, ai_settings_client):
    number = api.post("/api/v1/whatsapp-numbers", json=DEFAULT).get_json()
    url = f"/api/v1/whatsapp-numbers/{number['id']}"
    bad = api.patch(url, json={"ai_settings": {"model": "gpt-nao-existe"}})
    assert "model" in assert_error(bad, 422)["details"]
    good = api.patch(url, json={"ai_settings": {"model": "gpt-4.1-mini", "context_messages": 5}})
    assert good.get_json()["ai_settings"]["model"] == "gpt-4.1-mini"
    bounds = api.patch(url, json={"ai_settings": {"temperature": 5}})
    assert_error(bounds, 422)


@pytest.fixture
def ai_settings_client(tenant, sandbox):
    save_openai_credentials(tenant, {"api_key": "sk-test-abcdef123456WXYZ",
                                     "model": "gpt-4.1-mini", "hours_mode": "always"})  # fmt: skip


def test_another_clients_number_is_404_and_untouched(
    app, db, api, api_for, sandbox, create_client, tenant
):
    number = api.post("/api/v1/whatsapp-numbers", json=DEFAULT).get_json()
    other = api_for(create_client("Loja Outra API"))
    url = f"/api/v1/whatsapp-numbers/{number['id']}"
    assert_error(other.get(url), 404, "not_found")
    assert_error(other.patch(url, json={"display_name": "Roubado"}), 404, "not_found")
    assert_error(other.delete(url), 404, "not_found")
    assert other.get("/api/v1/whatsapp-numbers").get_json() == {"data": []}
    taken = other.post("/api/v1/whatsapp-numbers", json=DEFAULT)
    error = assert_error(taken, 422)
    assert "Loja API" not in error["message"] and "phone_number_id" in error["details"]
    row = db.session.get(WhatsAppCredential, number["id"])
    assert row.client_id == tenant.id and row.archived_at is None
    assert row.display_name == "ClickPro Demo"


def test_old_credentials_endpoint_is_the_first_number(app, api, sandbox, tenant, second):
    api.post("/api/v1/whatsapp-numbers", json={**DEFAULT, "display_name": "Vendas"})
    api.post("/api/v1/whatsapp-numbers", json=_body(second, display_name="Suporte"))
    old = api.get("/api/v1/whatsapp-credentials").get_json()
    assert old["phone_number_id"] == DEFAULT["phone_number_id"] and old["display_name"] == "Vendas"


def test_openapi_documents_the_numbers(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert set(paths["/api/v1/whatsapp-numbers"]) == {"get", "post"}
    assert set(paths["/api/v1/whatsapp-numbers/{number_id}"]) == {"get", "patch", "delete"}
    assert "204" in paths["/api/v1/whatsapp-numbers/{number_id}"]["delete"]["responses"]
    out = document["components"]["schemas"]["WhatsAppNumberOut"]["properties"]
    assert {"id", "phone_number_id", "waba_id", "display_name", "display_phone_number",
            "verified_name", "quality_rating", "messaging_tier", "status", "archived",
            "ai_settings"} <= set(out)  # fmt: skip
    assert not set(SECRET_FIELDS) & set(out)
    create = document["components"]["schemas"]["WhatsAppNumberIn"]
    assert {"access_token", "waba_id", "phone_number_id"} <= set(create["required"])
