"""/api/v1 speaks BSUIDs: contacts, messages and opt-outs by phone or BSUID (#16)."""

from __future__ import annotations

import sqlalchemy as sa
from api_helpers import assert_error

from clickpro.extensions import db
from clickpro.models import Contact, OptOut

BSUID = "BR.1502576394655843"


def test_contact_by_bsuid_created_then_upserted_and_shown(api):
    created = api.post("/api/v1/contacts", json={"bsuid": BSUID, "username": "realsheena",
                                                 "name": "Sheena"})  # fmt: skip
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["phone"] is None and body["bsuid"] == BSUID
    assert body["username"] == "realsheena" and body["parent_bsuid"] is None
    assert body["label"] == "@realsheena"
    again = api.post("/api/v1/contacts", json={"bsuid": BSUID, "attributes": {"cidade": "SP"}})
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    # the phone learnt later joins the same contact
    linked = api.post("/api/v1/contacts", json={"phone": "11987654321", "bsuid": BSUID})
    assert linked.status_code == 200 and linked.get_json()["phone"] == "+5511987654321"
    assert api.get(f"/api/v1/contacts/{body['id']}").get_json()["bsuid"] == BSUID
    found = api.get("/api/v1/contacts", query_string={"q": "@realsheena"}).get_json()["data"]
    assert [c["id"] for c in found] == [body["id"]]


def test_contact_needs_phone_or_bsuid_and_a_valid_bsuid(api):
    error = assert_error(api.post("/api/v1/contacts", json={"name": "ninguém"}), 422)
    assert "bsuid" in error["details"]["phone"][0]
    for bad in ("1502576394655843", "br.1502576394655843", "BR.", "BR.12-34", "BR." + "1" * 129):
        error = assert_error(api.post("/api/v1/contacts", json={"bsuid": bad}), 422)
        assert "BSUID inválido" in error["details"]["bsuid"][0], bad
    ok = api.post("/api/v1/contacts", json={"bsuid": "BR.ENT." + "a1" * 64})
    assert ok.status_code == 201  # 128 characters after "BR.ENT.": Meta's longest form
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1


def test_send_by_bsuid_goes_as_recipient(api, wired):
    sent = api.post("/api/v1/messages", json={"bsuid": BSUID, "template_id": wired.template.id,
                                              "variables": {"body": ["Ana", "X1"]}})  # fmt: skip
    assert sent.status_code == 201, sent.get_data(as_text=True)
    body = sent.get_json()
    assert body["bsuid"] == BSUID and body["phone"] is None
    last = wired.sandbox.sends[-1]
    assert last["recipient"] == BSUID and last["to"] is None and not last["dropped"]
    contact = db.session.get(Contact, body["contact_id"])
    assert contact.bsuid == BSUID and contact.phone_e164 is None


def test_send_needs_exactly_one_of_phone_and_bsuid(api, wired):
    both = {"phone": "11987654321", "bsuid": BSUID, "text": "oi"}
    error = assert_error(api.post("/api/v1/messages", json=both), 422)
    assert "exatamente um" in error["details"]["phone"][0]
    error = assert_error(api.post("/api/v1/messages", json={"text": "oi"}), 422)
    assert "bsuid" in error["details"]["phone"][0]
    error = assert_error(api.post("/api/v1/messages", json={"bsuid": "XX", "text": "oi"}), 422)
    assert "BSUID inválido" in error["details"]["bsuid"][0]
    assert wired.sandbox.sends == []


def test_authentication_template_to_bsuid_is_422_before_sending(api, wired, create_template):
    auth = create_template(wired.tenant, name="otp", category="AUTHENTICATION",
                           components=[{"type": "BODY", "text": "Código"}])  # fmt: skip
    response = api.post("/api/v1/messages", json={"bsuid": BSUID, "template_id": auth.id})
    error = assert_error(response, 422, "bsuid_not_allowed")
    assert "131062" in error["message"]
    assert wired.sandbox.sends == []


def test_opt_out_by_bsuid_listed_and_removed(api, tenant):
    created = api.post("/api/v1/optouts", json={"bsuid": BSUID, "reason": "SAIR"})
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["bsuid"] == BSUID and created.get_json()["phone"] is None
    assert api.post("/api/v1/optouts", json={"bsuid": BSUID}).status_code == 200
    listed = api.get("/api/v1/optouts").get_json()["data"]
    assert [(o["phone"], o["bsuid"]) for o in listed] == [(None, BSUID)]
    error = assert_error(api.post("/api/v1/optouts", json={"bsuid": BSUID, "phone": "1198"}), 422)
    assert "phone" in error["details"]
    assert api.delete(f"/api/v1/optouts/{BSUID}").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OptOut)) == 0


def test_openapi_says_which_identifier_is_required(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    send = schemas["SendMessageIn"]
    assert "bsuid" in send["properties"] and "phone" not in send.get("required", [])
    assert {"required": ["bsuid"]} in send["allOf"][0]["oneOf"]
    assert {"required": ["bsuid"]} in schemas["ContactIn"]["anyOf"]
    assert schemas["OptOutIn"]["oneOf"] == [{"required": ["phone"]}, {"required": ["bsuid"]}]
    for name in ("ContactOut", "MessageOut"):
        assert {"bsuid", "parent_bsuid", "username"} <= set(schemas[name]["properties"])
