"""POST /api/v1/messages from a chosen number (``phone_number_id``), per-number window."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from api_helpers import assert_error

from clickpro.models import Contact, Conversation, Message
from clickpro.models.base import utcnow

PNID = "100000000000011"
PHONE = "+5511987654100"


@pytest.fixture
def support(wired, create_whatsapp_credential):
    account = wired.sandbox.create_account(access_token="support-token")
    return create_whatsapp_credential(wired.tenant, account, display_name="Suporte")


def _template(wired, number_pnid: str | None = None) -> dict:
    body = {"phone": PHONE, "template_id": wired.template.id, "variables": {"body": ["Ana", "X"]}}
    return {**body, "phone_number_id": number_pnid} if number_pnid else body


def test_default_is_the_first_number(app, db, api, wired, support):
    response = api.post("/api/v1/messages", json=_template(wired))
    assert response.status_code == 201, response.get_json()
    out = response.get_json()
    assert out["phone_number_id"] == PNID and out["conversation_id"]
    assert wired.sandbox.list_sends()[-1]["phone_number_id"] == PNID


def test_text_from_the_named_number_uses_its_window(
    app, db, api, wired, support, create_contact, create_conversation
):
    contact = create_contact(wired.tenant, PHONE)
    # She wrote to support an hour ago, to the first number two days ago.
    create_conversation(wired.tenant, contact, last_inbound_at=utcnow() - timedelta(days=2))
    on_support = create_conversation(
        wired.tenant, contact, support, last_inbound_at=utcnow() - timedelta(hours=1)
    )
    text = {"phone": PHONE, "text": "Seu pedido saiu!"}
    refused = api.post("/api/v1/messages", json=text)  # the first number: window closed
    assert_error(refused, 422, "window_closed")
    sent = api.post("/api/v1/messages", json={**text, "phone_number_id": support.phone_number_id})
    assert sent.status_code == 201, sent.get_json()
    out = sent.get_json()
    assert out["phone_number_id"] == support.phone_number_id
    assert (out["number_id"], out["conversation_id"]) == (support.id, on_support.id)
    assert [s["phone_number_id"] for s in wired.sandbox.list_sends()] == [support.phone_number_id]
    row = db.session.get(Message, out["id"])
    assert (row.number_id, row.conversation_id) == (support.id, on_support.id)
    got = api.get(f"/api/v1/messages/{out['id']}").get_json()
    assert got["phone_number_id"] == support.phone_number_id


def test_another_clients_or_unknown_number_is_422(
    app, db, api, wired, create_client, create_whatsapp_credential
):
    other = create_client("Outra Loja")
    theirs = create_whatsapp_credential(
        other, {"access_token": "o-token", "waba_id": "700000000000001", "phone_number_id": "7011"}
    )
    for pnid in (theirs.phone_number_id, "999999999"):
        refused = api.post("/api/v1/messages", json=_template(wired, pnid))
        error = assert_error(refused, 422, "validation_error")
        assert error["details"]["phone_number_id"]
    # Nothing sent, no contact or conversation created by the refused requests.
    assert wired.sandbox.list_sends() == []
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 0
