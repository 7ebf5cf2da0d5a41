"""Campaigns, messages (with Idempotency-Key) and conversations over /api/v1."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from api_helpers import assert_error

from clickpro.models import IdempotencyKey, Message
from clickpro.models.base import utcnow


@pytest.fixture
def audience(wired, create_contact, create_list):
    people = [
        create_contact(
            wired.tenant, f"+55119876530{i:02d}", name=f"Pessoa {i}", attributes={"cupom": f"C{i}"}
        )  # fmt: skip
        for i in range(3)
    ]
    return create_list(wired.tenant, "Clientes", contacts=people)


def test_campaign_create_start_and_results(app, api, wired, audience):
    payload = {
        "name": "Black Friday",
        "template_id": wired.template.id,
        "list_ids": [audience.id],
        "rate_mps": 5,
        "variables": {"body": ["{{contact.name}}", "{{contact.cupom}}"]},
        "batch_size": 100,
        "batch_interval_s": 0,
        "send_window": {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"},
    }
    created = api.post("/api/v1/campaigns", json=payload)
    assert created.status_code == 201, created.get_json()
    campaign = created.get_json()
    assert campaign["status"] == "DRAFT" and campaign["list_ids"] == [audience.id]
    assert set(campaign["counters"]) >= {"queued", "sending", "sent", "delivered", "read",
                                         "failed", "skipped", "cancelled"}  # fmt: skip
    started = api.post(f"/api/v1/campaigns/{campaign['id']}/start")
    assert started.status_code == 200, started.get_json()
    got = api.get(f"/api/v1/campaigns/{campaign['id']}").get_json()
    assert got["status"] == "COMPLETED"
    assert got["counters"]["sent"] == 3 and got["counters"]["queued"] == 0
    assert len(wired.sandbox.list_sends()) == 3
    results = api.get(f"/api/v1/campaigns/{campaign['id']}/messages?limit=2").get_json()
    assert len(results["data"]) == 2 and results["next_cursor"]
    rest = api.get(f"/api/v1/campaigns/{campaign['id']}/messages",
                   query_string={"cursor": results["next_cursor"]}).get_json()  # fmt: skip
    bodies = {m["body"] for m in results["data"] + rest["data"]}
    assert bodies == {f"Olá Pessoa {i}, seu cupom é C{i}." for i in range(3)}
    # State refusals are 409 with the service's words.
    error = assert_error(api.post(f"/api/v1/campaigns/{campaign['id']}/pause"), 409)
    assert error["code"] == "campaign_refused" and "andamento" in error["message"]
    listed = api.get("/api/v1/campaigns").get_json()
    assert [c["id"] for c in listed["data"]] == [campaign["id"]]


def test_campaign_validation_and_schedule(app, api, wired, audience):
    error = assert_error(api.post("/api/v1/campaigns", json={"name": "x"}), 422)
    assert {"template_id", "list_ids"} <= set(error["details"])
    wrong = {"name": "x", "template_id": wired.template.id, "list_ids": [999999]}
    assert (
        "não encontrada" in assert_error(api.post("/api/v1/campaigns", json=wrong), 422)["message"]
    )
    later = (utcnow() + timedelta(days=1)).isoformat()
    scheduled = api.post("/api/v1/campaigns", json={
        "name": "Amanhã", "template_id": wired.template.id, "list_ids": [audience.id],
        "rate_mps": 1, "variables": {"body": ["{{contact.name}}", "fixo"]},
        "scheduled_at": later})  # fmt: skip
    assert scheduled.status_code == 201, scheduled.get_json()
    cid = scheduled.get_json()["id"]
    assert scheduled.get_json()["scheduled_at"]
    assert api.post(f"/api/v1/campaigns/{cid}/start").get_json()["status"] == "SCHEDULED"
    assert api.post(f"/api/v1/campaigns/{cid}/cancel").get_json()["status"] == "CANCELLED"
    assert wired.sandbox.list_sends() == []


def test_send_template_message_and_get_status(app, api, wired):
    response = api.post("/api/v1/messages", json={
        "phone": "11 98765-4000", "template_id": wired.template.id,
        "variables": {"body": ["Ana", "X9"]}})  # fmt: skip
    assert response.status_code == 201, response.get_json()
    message = response.get_json()
    assert message["status"] == "SENT" and message["wamid"]
    assert message["phone"] == "+5511987654000"
    assert api.get(f"/api/v1/messages/{message['id']}").get_json()["status"] == "SENT"
    assert wired.sandbox.list_sends()[-1]["to"].endswith("987654000")


def test_text_outside_the_window_is_refused(app, api, wired, create_contact, create_conversation):
    # The window is the conversation's (the contact on the client's first number).
    late = create_contact(wired.tenant, "+5511987654001")
    create_conversation(wired.tenant, late, last_inbound_at=utcnow() - timedelta(days=2))
    refused = api.post("/api/v1/messages", json={"phone": "+5511987654001", "text": "Oi"})
    assert assert_error(refused, 422, "window_closed")["details"]["text"]
    recent = create_contact(wired.tenant, "+5511987654002")
    create_conversation(wired.tenant, recent, last_inbound_at=utcnow() - timedelta(hours=1))
    sent = api.post("/api/v1/messages", json={"phone": "+5511987654002", "text": "Oi"})
    assert sent.status_code == 201 and sent.get_json()["type"] == "text"
    assert len(wired.sandbox.list_sends()) == 1
    # A stranger cannot have an open window: refused, and no contact is left behind.
    stranger = api.post("/api/v1/messages", json={"phone": "+5511987654003", "text": "Oi"})
    assert assert_error(stranger, 422, "window_closed")["details"]["text"]
    assert api.get("/api/v1/contacts", query_string={"q": "987654003"}).get_json()["data"] == []
    both = api.post("/api/v1/messages", json={"phone": "+5511987654002", "text": "Oi",
                                              "template_id": wired.template.id})  # fmt: skip
    assert assert_error(both, 422)["details"]


def test_template_to_an_opted_out_phone_is_refused(app, api, wired):
    api.post("/api/v1/optouts", json={"phone": "+5511987654003"})
    refused = api.post("/api/v1/messages", json={
        "phone": "+5511987654003", "template_id": wired.template.id,
        "variables": {"body": ["a", "b"]}})  # fmt: skip
    assert_error(refused, 422, "opted_out")
    assert wired.sandbox.list_sends() == []


def test_idempotent_post_sends_once(app, db, api, wired):
    payload = {"phone": "+5511987654010", "template_id": wired.template.id,
               "variables": {"body": ["Ana", "X1"]}}  # fmt: skip
    headers = {"Idempotency-Key": "pedido-123"}
    first = api.post("/api/v1/messages", json=payload, headers=headers)
    second = api.post("/api/v1/messages", json=payload, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(wired.sandbox.list_sends()) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
    # Same key, different body → 422; a new key sends again.
    other = api.post("/api/v1/messages", json={**payload, "phone": "+5511987654011"},
                     headers=headers)  # fmt: skip
    assert_error(other, 422, "idempotency_key_reused")
    api.post("/api/v1/messages", json=payload, headers={"Idempotency-Key": "pedido-124"})
    assert len(wired.sandbox.list_sends()) == 2


def test_idempotency_keys_are_per_client(app, api, api_for, create_client):
    headers = {"Idempotency-Key": "mesma-chave"}
    a = api.post("/api/v1/lists", json={"name": "A"}, headers=headers)
    b = api_for(create_client()).post("/api/v1/lists", json={"name": "B"}, headers=headers)
    assert a.status_code == b.status_code == 201
    assert a.get_json()["name"] == "A" and b.get_json()["name"] == "B"


def test_validation_errors_are_replayed_and_failures_released(app, db, api):
    headers = {"Idempotency-Key": "k-1"}
    first = api.post("/api/v1/lists", json={"name": ""}, headers=headers)
    again = api.post("/api/v1/lists", json={"name": ""}, headers=headers)
    assert first.status_code == again.status_code == 422
    assert first.get_json() == again.get_json()


def test_concurrent_duplicate_waits_or_conflicts(app, db, api, tenant):
    """While the first request holds the key, a duplicate gets 409 (after waiting)."""
    from clickpro.services.api import idempotency

    fingerprint = idempotency.fingerprint("POST", "/api/v1/lists", b'{"name": "X"}')
    held = idempotency.claim(tenant.id, "em-voo", fingerprint)
    assert isinstance(held, int)
    from clickpro.services.api import idempotency as module

    results = []

    def duplicate():
        with app.app_context():
            try:
                module.claim(tenant.id, "em-voo", fingerprint, wait_s=0.2)
            except module.InProgress:
                results.append("409")

    thread = threading.Thread(target=duplicate)
    thread.start()
    thread.join(10)
    assert results == ["409"]
    idempotency.complete(held, 201, '{"id": 1}')
    replay = idempotency.claim(tenant.id, "em-voo", fingerprint)
    assert replay == idempotency.StoredResponse(201, '{"id": 1}')
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 1


def test_conversations_and_their_messages(
    app, api, tenant, create_contact, create_conversation, create_message,
    create_whatsapp_credential,
):  # fmt: skip
    first_number = create_whatsapp_credential(tenant)
    second = create_whatsapp_credential(
        tenant,
        {"access_token": "t2", "waba_id": "100000000000002", "phone_number_id": "100000000000012"},
        display_name="Suporte",
    )
    maria = create_contact(tenant, "+5511987655001", name="Maria")
    conv = create_conversation(tenant, maria, first_number, last_message_at=utcnow())
    for i in range(3):
        create_message(tenant, maria, conversation=conv, body=f"msg {i}")
    on_second = create_conversation(
        tenant, maria, second, last_message_at=utcnow() + timedelta(seconds=1)
    )
    create_message(tenant, maria, conversation=on_second, body="no suporte")
    page = api.get("/api/v1/conversations").get_json()
    assert [c["id"] for c in page["data"]] == [on_second.id, conv.id]
    assert [c["contact_id"] for c in page["data"]] == [maria.id, maria.id]
    row = page["data"][0]
    assert (row["number_id"], row["phone_number_id"]) == (second.id, "100000000000012")
    assert row["phone"] == "+5511987655001" and row["username"] is None
    assert {"bsuid", "parent_bsuid", "username", "number_name"} <= set(row)
    only = api.get("/api/v1/conversations?phone_number_id=100000000000011").get_json()
    assert [c["id"] for c in only["data"]] == [conv.id]
    assert_error(api.get("/api/v1/conversations?phone_number_id=999"), 422)

    first = api.get(f"/api/v1/conversations/{conv.id}/messages?limit=2").get_json()
    assert [m["body"] for m in first["data"]] == ["msg 1", "msg 2"]
    assert {m["conversation_id"] for m in first["data"]} == {conv.id}
    older = api.get(f"/api/v1/conversations/{conv.id}/messages",
                    query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()  # fmt: skip
    assert [m["body"] for m in older["data"]] == ["msg 0"] and older["next_cursor"] is None
    other = api.get(f"/api/v1/conversations/{on_second.id}/messages").get_json()
    assert [m["body"] for m in other["data"]] == ["no suporte"]
    assert_error(api.get("/api/v1/conversations/999999/messages"), 404)


def test_concurrent_duplicate_waits_for_the_first_answer(app, tenant):
    from clickpro.services.api import idempotency

    fingerprint = idempotency.fingerprint("POST", "/api/v1/messages", b"{}")
    held = idempotency.claim(tenant.id, "espera", fingerprint)
    got = []

    def duplicate():
        with app.app_context():
            got.append(idempotency.claim(tenant.id, "espera", fingerprint, wait_s=5))

    thread = threading.Thread(target=duplicate)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive() and got == []  # still waiting for the owner
    idempotency.complete(held, 201, '{"id": 7}')
    thread.join(10)
    assert got == [idempotency.StoredResponse(201, '{"id": 7}')]
