"""GET handshake and POST verification, storage, dedupe and odd bodies."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa
from webhook_helpers import PHONE_NUMBER_ID, encode, inbound, post, sign

from clickpro.crypto import encrypt
from clickpro.extensions import db
from clickpro.models import Contact, Conversation, Message, WebhookEvent
from clickpro.services.webhook.ingest import clear_secret_cache


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _verify(client, token, mode="subscribe", challenge="1158201444"):
    return client.get(
        "/webhook",
        query_string={"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge},
    )


def test_handshake_with_global_token(client):
    response = _verify(client, "test-verify-token")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "1158201444"
    assert response.mimetype == "text/plain"


def test_handshake_wrong_token_or_mode_is_403(client):
    assert _verify(client, "wrong").status_code == 403
    assert _verify(client, "").status_code == 403
    assert _verify(client, "test-verify-token", mode="unsubscribe").status_code == 403
    assert client.get("/webhook").status_code == 403


def test_handshake_with_client_token(client, shop):
    shop.credential.verify_token_sha256 = hashlib.sha256(b"token-da-loja").hexdigest()
    db.session.commit()
    response = _verify(client, "token-da-loja", challenge="42")
    assert response.status_code == 200 and response.get_data(as_text=True) == "42"
    assert _verify(client, "token-da-loj").status_code == 403


def test_unsigned_and_badly_signed_are_403_and_store_nothing(client, shop):
    payload = inbound("5511987654321")
    assert post(client, payload, secret=None).status_code == 403
    assert post(client, payload, secret="not-the-secret").status_code == 403
    body = encode(payload)
    bad = client.post("/webhook", data=body, headers={"X-Hub-Signature-256": "sha1=abc"})
    assert bad.status_code == 403
    tampered = client.post(
        "/webhook", data=body + b" ", headers={"X-Hub-Signature-256": sign(body)}
    )
    assert tampered.status_code == 403
    assert _count(WebhookEvent) == 0 and _count(Message) == 0


def test_good_delivery_is_stored_and_processed(client, shop):
    payload = inbound("5511987654321")
    response = post(client, payload)
    assert response.status_code == 200
    event = db.session.scalar(sa.select(WebhookEvent))
    assert event.body == encode(payload).decode()
    assert event.body_sha256 == hashlib.sha256(encode(payload)).hexdigest()
    assert event.signature_ok and event.routed and event.client_id == shop.id
    assert event.processed_at is not None and event.error is None and event.attempts == 1


def test_same_delivery_five_times_is_one_event_one_message(client, shop, spy):
    received = spy("message_received")
    payload = inbound("5511987654321")
    for _ in range(5):
        assert post(client, payload).status_code == 200
    assert _count(WebhookEvent) == 1
    assert _count(Message) == 1
    assert len(received.calls) == 1
    contact = db.session.scalar(sa.select(Contact))
    conversation = db.session.scalar(sa.select(Conversation))
    assert conversation.contact_id == contact.id and conversation.unread_count == 1


def test_same_message_in_a_different_delivery_is_one_message(client, shop):
    first = inbound("5511987654321", wamid="wamid.SAME")
    second = inbound("5511987654321", wamid="wamid.SAME", timestamp=1732400009)
    assert post(client, first).status_code == 200
    assert post(client, second).status_code == 200
    assert _count(WebhookEvent) == 2
    assert _count(Message) == 1


def test_client_own_app_secret(client, shop):
    shop.credential.app_secret_enc = encrypt("segredo-do-app-da-loja")
    db.session.commit()
    clear_secret_cache()
    payload = inbound("5511987654321")
    assert post(client, payload, secret="segredo-do-app-da-loja").status_code == 200
    assert _count(Message) == 1
    other = inbound("5511987654321", phone_number_id="999")
    other["entry"][0]["id"] = "888"  # neither the number nor the WABA is that client's
    assert post(client, other, secret="segredo-do-app-da-loja").status_code == 403


def test_signed_garbage_is_kept_with_error(client, shop):
    for raw in (b"{not json", b"\xff\xfe\x00garbage", b""):
        response = post(client, None, raw=raw)
        assert response.status_code == 200, raw
    events = db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id)).all()
    assert len(events) == 3
    assert all(e.error and "JSON" in e.error for e in events)
    # No retry can fix the body: dead-lettered at once, for the super admin.
    assert all(e.dead_at is not None and e.processed_at is None and not e.routed for e in events)


def test_unknown_json_shape_is_kept_with_error(client, shop):
    for payload in (
        {"hello": "world"},
        [1, 2, 3],
        {"entry": [{"changes": [{"field": "messages"}]}]},
    ):
        assert post(client, payload).status_code == 200
    events = db.session.scalars(sa.select(WebhookEvent)).all()
    assert len(events) == 3
    assert all(e.error and "formato desconhecido" in e.error for e in events)
    assert all(e.dead_at is not None for e in events)
    assert _count(Message) == 0


def test_unknown_phone_number_is_kept_unrouted(client, shop):
    assert post(client, inbound("5511987654321", phone_number_id="555000111")).status_code == 200
    event = db.session.scalar(sa.select(WebhookEvent))
    assert event.routed is False and event.client_id is None
    assert event.error is None and event.processed_at is not None
    assert _count(Message) == 0 and _count(Contact) == 0


def test_unhandled_field_is_processed_quietly(client, shop):
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "account_update", "value": {"event": "X"}}]}],
    }
    assert post(client, payload).status_code == 200
    event = db.session.scalar(sa.select(WebhookEvent))
    assert event.error is None and event.processed_at is not None


@pytest.mark.parametrize("fastpath", [True, False])
def test_flask_view_and_wsgi_shortcut_behave_alike(make_app, shop, fastpath):
    """CSRF on, shortcut on or off: 403 unsigned, 200 signed and stored, once."""
    app = make_app(WTF_CSRF_ENABLED=True, WEBHOOK_FASTPATH=fastpath)
    with app.app_context():
        http = app.test_client()
        payload = inbound("5511987654321")
        assert post(http, payload, secret=None).status_code == 403
        first = post(http, payload)
        assert first.status_code == 200 and first.get_data() == b""  # Meta reads the status
        assert post(http, payload).status_code == 200
        assert _count(WebhookEvent) == 1 and _count(Message) == 1
        other = encode(inbound("5511987654321"))
        chunked = http.post(
            "/webhook",
            input_stream=io.BytesIO(other),
            headers={"X-Hub-Signature-256": sign(other)},
            environ_overrides={"wsgi.input_terminated": True},
        )
        assert chunked.status_code == 200  # no Content-Length: served by the Flask view
        assert _count(Message) == 2


def test_oversized_body_is_refused(client, shop):
    big = b"{" + b" " * (5 * 1024 * 1024) + b"}"
    response = client.post("/webhook", data=big, headers={"X-Hub-Signature-256": sign(big)})
    assert response.status_code == 413
    assert _count(WebhookEvent) == 0
    assert PHONE_NUMBER_ID
