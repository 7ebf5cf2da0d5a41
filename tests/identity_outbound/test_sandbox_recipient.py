"""The sandbox's send endpoint speaks BSUIDs like the reference (§1 "Sending")."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from sandbox_fixtures import (  # noqa: E402
    PNID,
    WABA,
    WebhookSink,
    approved_template,
    auth,
    sandbox_client,
    template_payload,
    template_send,
    text_send,
    wait_for,
)

MSG_URL = f"/graph/v23.0/{PNID}/messages"
MM_URL = f"/graph/v23.0/{PNID}/marketing_messages"
BSUID = "BR.1502576394655843"


@pytest.fixture
def sink() -> WebhookSink:
    return WebhookSink()


@pytest.fixture
def manual(sink: WebhookSink):
    app, client = sandbox_client({
        "webhook_delivery": "manual", "webhook_url": "http://sink/webhook",
        "webhook_transport": sink.transport, "template_review_delay_s": 0.0,
    })  # fmt: skip
    yield app, client
    app.extensions["sandbox"].close()


def _by_bsuid(payload: dict) -> dict:
    out = dict(payload)
    out.pop("to")
    out["recipient_type"] = "individual"
    out["recipient"] = BSUID
    return out


def test_recipient_send_echoes_input_and_user_id(manual, sink):
    _, client = manual
    response = client.post(MSG_URL, headers=auth(), json=_by_bsuid(text_send("x")))
    assert response.status_code == 200
    body = response.json()
    assert body["contacts"] == [{"input": BSUID, "user_id": BSUID}]  # no wa_id for a BSUID
    assert body["messages"][0]["id"].startswith("wamid.")
    client.post("/_control/flush")
    statuses = sink.statuses()
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    assert all(s["recipient_user_id"] == BSUID and "recipient_id" not in s for s in statuses)
    sent = client.get("/_control/sends").json()["data"][-1]
    assert sent["recipient"] == BSUID and sent["to"] is None


def test_phone_send_answers_wa_id_only(manual):
    _, client = manual
    body = client.post(MSG_URL, headers=auth(), json=text_send("5511987654321")).json()
    assert body["contacts"] == [{"input": "5511987654321", "wa_id": "5511987654321"}]


def test_to_wins_when_both_are_given(manual):
    _, client = manual
    payload = {**text_send("5511987654321"), "recipient": BSUID}
    body = client.post(MSG_URL, headers=auth(), json=payload).json()
    assert body["contacts"] == [{"input": "5511987654321", "wa_id": "5511987654321"}]
    sent = client.get("/_control/sends").json()["data"][-1]
    assert sent["to"] == "5511987654321" and sent["recipient"] is None


def test_neither_to_nor_recipient_is_error_100(manual):
    _, client = manual
    payload = text_send("x")
    payload.pop("to")
    response = client.post(MSG_URL, headers=auth(), json=payload)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100 and "The parameter to is required" in error["message"]


def test_bad_recipient_and_recipient_type_are_error_100(manual):
    _, client = manual
    bad = {**_by_bsuid(text_send("x")), "recipient": "5511987654321"}
    assert client.post(MSG_URL, headers=auth(), json=bad).json()["error"]["code"] == 100
    wrong_type = {**_by_bsuid(text_send("x")), "recipient_type": "business_scoped_user_id"}
    assert client.post(MSG_URL, headers=auth(), json=wrong_type).json()["error"]["code"] == 100


def test_bsuid_in_to_is_accepted_then_silently_dropped(manual, sink):
    """The regression the reference warns about: 200 with a wamid, never delivered."""
    _, client = manual
    response = client.post(MSG_URL, headers=auth(), json=text_send(BSUID))
    assert response.status_code == 200
    wamid = response.json()["messages"][0]["id"]
    assert response.json()["contacts"][0]["input"] == BSUID
    sent = client.get("/_control/sends").json()["data"][-1]
    assert sent["dropped"] is True and sent["wamid"] == wamid
    client.post("/_control/flush")
    assert [s for s in sink.statuses() if s["id"] == wamid] == []  # no sent/delivered/read


def test_template_to_recipient_and_marketing_messages(manual, sink):
    _, client = manual
    approved_template(client)
    for url in (MSG_URL, MM_URL):
        response = client.post(url, headers=auth(), json=_by_bsuid(template_send("x")))
        assert response.status_code == 200, response.text
        assert response.json()["contacts"][0] == {"input": BSUID, "user_id": BSUID}


def test_authentication_template_to_bsuid_is_131062(manual):
    _, client = manual
    created = client.post(f"/graph/v23.0/{WABA}/message_templates", headers=auth(),
                          json=template_payload("otp", category="AUTHENTICATION"))  # fmt: skip
    assert created.status_code == 200, created.text

    def approved() -> bool:
        rows = client.get(f"/graph/v23.0/{WABA}/message_templates", params={"name": "otp"},
                          headers=auth()).json()["data"]  # fmt: skip
        return bool(rows) and rows[0]["status"] == "APPROVED"

    assert wait_for(approved)
    response = client.post(MSG_URL, headers=auth(), json=_by_bsuid(template_send("x", "otp")))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 131062
    by_phone = client.post(MSG_URL, headers=auth(), json=template_send("5511987654321", "otp"))
    assert by_phone.status_code == 200
