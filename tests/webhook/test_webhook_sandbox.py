"""End to end with the sandbox (fake Meta): signed inbound and status webhooks."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.integrations.meta import graph_client
from clickpro.models import Contact, Message, WebhookEvent
from clickpro.services.messaging.delivery import apply_pending_statuses, callback_data_for

SANDBOX_ACCOUNT = {
    "access_token": "sandbox-token",
    "waba_id": "100000000000001",
    "phone_number_id": "100000000000011",
    "app_id": "100000000000021",
    # No own app secret: the sandbox's default account signs with the platform's secret,
    # and a delivery is routed only to credentials of the app that signed it.
}


def _shop(create_client, create_whatsapp_credential):
    tenant = create_client("Loja Sandbox")
    create_whatsapp_credential(tenant, SANDBOX_ACCOUNT)
    return tenant


def test_inbound_through_control_api_is_stored(sandbox, create_client, create_whatsapp_credential):
    tenant = _shop(create_client, create_whatsapp_credential)
    control = sandbox.app.test_client()
    response = control.post(
        "/_control/inbound",
        json={
            "phone_number_id": "100000000000011",
            "from": "5511987654321",
            "text": "Oi, tudo bem?",
            "name": "Bia",
        },
    )
    assert response.status_code == 202
    wamid = response.json["message"]["id"]
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0  # manual delivery
    flushed = control.post("/_control/flush").json
    assert flushed["flushed"] == 1 and flushed["failed"] == 0
    message = db.session.scalar(sa.select(Message))
    assert (
        message.wamid == wamid
        and message.body == "Oi, tudo bem?"
        and message.client_id == tenant.id
    )
    contact = db.session.get(Contact, message.contact_id)
    assert contact.name == "Bia" and contact.wa_id == "5511987654321"
    event = db.session.scalar(sa.select(WebhookEvent))
    assert event.routed and event.error is None


def test_statuses_after_a_send_verify_and_apply(
    sandbox, create_client, create_whatsapp_credential, create_contact
):
    tenant = _shop(create_client, create_whatsapp_credential)
    contact = create_contact(tenant, "+5511987654321")
    graph = graph_client("sandbox-token")
    known = Message(
        client_id=tenant.id,
        contact_id=contact.id,
        direction="OUT",
        author="AGENT",
        body="a",
        status="SENDING",
    )
    early = Message(
        client_id=tenant.id,
        contact_id=contact.id,
        direction="OUT",
        author="AGENT",
        body="b",
        status="SENDING",
    )
    db.session.add_all([known, early])
    db.session.commit()
    sent = graph.send_text(
        "100000000000011", "5511987654321", "a", callback_data=callback_data_for(known.id)
    )
    known.wamid, known.status = sent.wamid, "SENT"
    db.session.commit()
    apply_pending_statuses(known)
    # ``early``: statuses arrive before we stored its wamid (matched by callback data).
    early_sent = graph.send_text(
        "100000000000011", "5511987654321", "b", callback_data=callback_data_for(early.id)
    )
    result = sandbox.flush()
    assert result["failed"] == 0 and result["flushed"] == 6
    db.session.refresh(known)
    db.session.refresh(early)
    assert known.status == "READ" and known.read_at and known.delivered_at and known.sent_at
    assert early.status == "READ" and early.wamid == early_sent.wamid
    events = db.session.scalars(sa.select(WebhookEvent)).all()
    assert len(events) == 6 and all(e.signature_ok and e.routed and e.error is None for e in events)


def test_shuffled_and_duplicated_statuses_from_sandbox(
    sandbox, create_client, create_whatsapp_credential, create_contact
):
    tenant = _shop(create_client, create_whatsapp_credential)
    contact = create_contact(tenant, "+5511987654321")
    sandbox.update_config({"status_mode": "duplicated", "webhook_batch_size": 4})
    graph = graph_client("sandbox-token")
    rows = []
    for n in range(5):
        row = Message(
            client_id=tenant.id,
            contact_id=contact.id,
            direction="OUT",
            author="AGENT",
            body=str(n),
            status="SENDING",
        )
        db.session.add(row)
        db.session.commit()
        graph.send_text(
            "100000000000011", "5511987654321", str(n), callback_data=callback_data_for(row.id)
        )
        rows.append(row)
    sandbox.flush()
    for row in rows:
        db.session.refresh(row)
        assert row.status == "READ" and row.wamid
