"""The ack's lean path (#24): a platform-signed, group-committed delivery is checked,
stored before its 200 and handed off without an app context per request; every other
delivery still goes through the full :func:`fastpath.acknowledge` (same checks, same
order), so a client's own app, a forged signature and inline processing are unchanged."""

from __future__ import annotations

import hashlib
import threading

import pytest
import sqlalchemy as sa
from webhook_helpers import encode, sign, status, statuses_payload

from clickpro.blueprints.webhook import fastpath
from clickpro.extensions import db
from clickpro.models import WebhookEvent
from clickpro.services.webhook import ingest
from clickpro.services.webhook.signer import PLATFORM, app_fingerprint

OWN_SECRET = "segredo-do-app-proprio"
OWN_ACCOUNT = {
    "access_token": "token-own",
    "waba_id": "300000000000001",
    "phone_number_id": "300000000000011",
    "app_id": "300000000000021",
    "app_secret": OWN_SECRET,
}


@pytest.fixture
def full_path_calls(monkeypatch) -> list[bytes]:
    """The bodies that reached the full (app context) ``acknowledge``."""
    calls: list[bytes] = []
    original = fastpath.acknowledge

    def spy(raw: bytes, signature: str | None) -> int:
        calls.append(raw)
        return original(raw, signature)

    monkeypatch.setattr(fastpath, "acknowledge", spy)
    return calls


def _post_outside_context(app, body: bytes, signature: str | None) -> tuple[int, bytes]:
    """POST from a thread of its own: no app context there, as under gunicorn."""
    answer: list[tuple[int, bytes]] = []

    def request() -> None:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        response = app.test_client().post("/webhook", data=body, headers=headers)
        answer.append((response.status_code, response.get_data()))

    thread = threading.Thread(target=request)
    thread.start()
    thread.join(30)
    return answer[0]


def _stored(body: bytes) -> WebhookEvent | None:
    digest = hashlib.sha256(body).hexdigest()
    return db.session.scalars(
        sa.select(WebhookEvent).where(WebhookEvent.body_sha256 == digest)
    ).first()


def test_platform_delivery_is_stored_and_handed_off_without_the_full_path(queued, full_path_calls):
    body = encode(statuses_payload([status("wamid.LEAN00001", "sent", 1_800_000_001)]))
    assert _post_outside_context(queued, body, sign(body)) == (200, b"")
    assert full_path_calls == []
    event = _stored(body)
    assert event is not None and event.signed_by == PLATFORM and event.processed_at is None
    from clickpro.tasks import redis_connection
    from clickpro.tasks.webhooks import PENDING_KEY

    pending = [int(x) for x in redis_connection(queued).lrange(PENDING_KEY, 0, -1)]
    assert pending == [event.id]


def test_platform_signed_but_too_deep_is_refused_on_the_lean_path(queued, full_path_calls):
    depth = int(queued.config["WEBHOOK_MAX_JSON_DEPTH"]) + 1
    body = b'{"a":' * depth + b"1" + b"}" * depth
    assert _post_outside_context(queued, body, sign(body))[0] == 400
    assert full_path_calls == []
    assert db.session.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 0


def test_forged_and_unsigned_deliveries_take_the_full_path(queued, full_path_calls):
    body = encode(statuses_payload([status("wamid.LEAN00002", "sent", 1_800_000_002)]))
    assert _post_outside_context(queued, body, sign(body, "not-the-secret"))[0] == 403
    assert _post_outside_context(queued, body, None)[0] == 403
    assert full_path_calls == [body, body]
    assert _stored(body) is None


def test_own_app_delivery_takes_the_full_path_and_keeps_its_signer(
    queued, full_path_calls, create_client, create_whatsapp_credential
):
    tenant = create_client("Agência Própria")
    create_whatsapp_credential(tenant, OWN_ACCOUNT)
    ingest.clear_secret_cache()
    payload = statuses_payload([status("wamid.LEAN00003", "sent", 1_800_000_003)])
    payload["entry"][0]["id"] = OWN_ACCOUNT["waba_id"]
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = OWN_ACCOUNT[
        "phone_number_id"
    ]
    body = encode(payload)
    assert _post_outside_context(queued, body, sign(body, OWN_SECRET)) == (200, b"")
    assert full_path_calls == [body]
    event = _stored(body)
    assert event is not None and event.signed_by == app_fingerprint(OWN_SECRET)


def test_inline_processing_takes_the_full_path(app, shop, full_path_calls):
    """Embedded / synchronous queue: the ack processes in the request, as before."""
    body = encode(statuses_payload([status("wamid.LEAN00004", "sent", 1_800_000_004)]))
    assert _post_outside_context(app, body, sign(body))[0] == 200
    assert full_path_calls == [body]
    event = _stored(body)
    assert event is not None and event.processed_at is not None
