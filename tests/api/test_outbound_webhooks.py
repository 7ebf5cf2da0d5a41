"""Outbound webhooks: signed deliveries, retries with backoff, giving up with the reason."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest
import sqlalchemy as sa
from api_helpers import assert_error

from clickpro import events
from clickpro.models import DeliveryStatus, WebhookDelivery
from clickpro.services.api import outbound_webhooks as hooks
from clickpro.services.contacts import optout


class Receiver(httpx.BaseTransport):
    """A fake client server: answers the queued status codes, records every request."""

    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        code = self.codes.pop(0) if self.codes else 200
        return httpx.Response(code, text="recebido" if code < 300 else "erro do servidor")


@pytest.fixture
def receiver(app):
    def _install(*codes: int) -> Receiver:
        transport = Receiver(*codes)
        # Jobs run synchronously here (delays are not waited for): keep the per-endpoint
        # backoff out of these per-delivery retry tests (test_outbound_webhook_ssrf has it).
        app.config.update(OUTBOUND_WEBHOOK_TRANSPORT=transport, OUTBOUND_WEBHOOK_BACKOFF_S=0.01,
                          OUTBOUND_WEBHOOK_FAILING_AFTER=100)  # fmt: skip
        return transport

    return _install


@pytest.fixture
def enqueued_delays(monkeypatch):
    """The retry delays the service asked RQ for (tests run jobs synchronously)."""
    delays: list = []
    original = hooks._schedule

    def spy(delivery_id, delay_s):
        delays.append(delay_s)
        return original(delivery_id, delay_s)

    monkeypatch.setattr(hooks, "_schedule", spy)
    return delays


def verify(request: httpx.Request, secret: str) -> dict:
    signature = request.headers["X-ClickPro-Signature"]
    expected = "sha256=" + hmac.new(secret.encode(), request.content, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    return json.loads(request.content)


def test_optout_event_is_delivered_signed(app, tenant, receiver):
    server = receiver(200)
    endpoint, secret = hooks.create_endpoint(tenant.id, "https://erp.test/hook",
                                             ["optout.created"])  # fmt: skip
    optout.add_opt_out(tenant.id, "+5511987650000", "keyword")
    (request,) = server.requests
    assert str(request.url) == "https://erp.test/hook"
    body = verify(request, secret)
    assert body["type"] == "optout.created"
    assert body["data"]["optout"] == {"phone": "+5511987650000", "bsuid": None, "source": "keyword"}
    assert request.headers["X-ClickPro-Event"] == "optout.created"
    with pytest.raises(AssertionError):
        verify(request, "whsec_outro-segredo")
    delivery = hooks.recent_deliveries(tenant.id)[0]
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.last_response == "recebido"


def test_retried_after_a_500_with_backoff(app, tenant, receiver, enqueued_delays):
    server = receiver(500, 200)
    _, secret = hooks.create_endpoint(tenant.id, "https://erp.test/hook", ["optout.created"])
    optout.add_opt_out(tenant.id, "+5511987650001")
    assert len(server.requests) == 2
    # Every attempt carries the same body and a valid signature.
    assert server.requests[0].content == server.requests[1].content
    verify(server.requests[1], secret)
    (delivery,) = hooks.recent_deliveries(tenant.id)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    assert enqueued_delays == [None, pytest.approx(0.01)]


def test_gives_up_after_the_limit_with_the_reason(app, tenant, receiver, enqueued_delays):
    server = receiver(500, 502, 500, 503, 500, 200)
    hooks.create_endpoint(tenant.id, "https://erp.test/hook", ["optout.created"])
    optout.add_opt_out(tenant.id, "+5511987650002")
    assert len(server.requests) == 5  # never a sixth
    (delivery,) = hooks.recent_deliveries(tenant.id)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 5
    assert delivery.last_status_code == 500
    assert "5 tentativas" in delivery.last_error and "HTTP 500" in delivery.last_error
    assert delivery.last_response == "erro do servidor"
    assert enqueued_delays[1:] == [pytest.approx(0.01 * 2**i) for i in range(4)]


def test_transport_errors_are_recorded(app, tenant, enqueued_delays):
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    app.config.update(OUTBOUND_WEBHOOK_TRANSPORT=httpx.MockTransport(refuse),
                      OUTBOUND_WEBHOOK_MAX_ATTEMPTS=2, OUTBOUND_WEBHOOK_BACKOFF_S=0)  # fmt: skip
    hooks.create_endpoint(tenant.id, "https://erp.test/hook", ["optout.created"])
    optout.add_opt_out(tenant.id, "+5511987650003")
    (delivery,) = hooks.recent_deliveries(tenant.id)
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code is None
    # A category for the client, never the socket's own words (they map the network).
    assert "Conexão recusada" in delivery.last_error
    assert "ConnectError" not in delivery.last_error and "refused" not in delivery.last_error


def test_only_subscribed_active_endpoints_of_the_client(app, db, tenants, receiver):
    server = receiver()
    hooks.create_endpoint(tenants.a.id, "https://a.test/status", ["message.status"])
    paused, _ = hooks.create_endpoint(tenants.a.id, "https://a.test/off", ["optout.created"])
    hooks.update_endpoint(paused, {"is_active": False})
    hooks.create_endpoint(tenants.b.id, "https://b.test/hook", ["optout.created"])
    optout.add_opt_out(tenants.a.id, "+5511987650004")
    assert server.requests == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0


def test_message_and_campaign_events(app, tenant, receiver, create_contact, create_message):
    server = receiver()
    hooks.create_endpoint(tenant.id, "https://erp.test/hook",
                          ["message.received", "message.status", "campaign.completed"])  # fmt: skip
    contact = create_contact(tenant, "+5511987650005", name="Ana")
    inbound = create_message(tenant, contact, body="Oi")
    events.send_safely(events.message_received, client_id=tenant.id, message_id=inbound.id,
                       contact_id=contact.id)  # fmt: skip
    events.send_safely(events.message_status_changed, client_id=tenant.id,
                       message_id=inbound.id, contact_id=contact.id, campaign_id=None,
                       status="READ", previous="DELIVERED")  # fmt: skip
    events.send_safely(events.campaign_finished, client_id=tenant.id, campaign_id=12345,
                       status="COMPLETED")  # fmt: skip
    kinds = [json.loads(r.content)["type"] for r in server.requests]
    assert kinds == ["message.received", "message.status", "campaign.completed"]
    received = json.loads(server.requests[0].content)["data"]
    assert (
        received["message"]["body"] == "Oi" and received["contact"]["phone"] == contact.phone_e164
    )
    status = json.loads(server.requests[1].content)["data"]
    assert (status["status"], status["previous"]) == ("READ", "DELIVERED")


def test_webhooks_api_crud_and_deliveries(app, api, tenant, receiver):
    server = receiver(200)
    bad = api.post("/api/v1/webhooks", json={"url": "ftp://x", "events": ["optout.created"]})
    assert "url" in assert_error(bad, 422)["details"]
    unknown = api.post("/api/v1/webhooks", json={"url": "https://x.test", "events": ["nope"]})
    assert_error(unknown, 422)
    created = api.post("/api/v1/webhooks", json={"url": "https://erp.test/h",
                                                 "events": ["optout.created"]})  # fmt: skip
    assert created.status_code == 201
    hook = created.get_json()
    assert hook["secret"].startswith("whsec_")
    assert "secret" not in api.get(f"/api/v1/webhooks/{hook['id']}").get_json()
    api.post("/api/v1/optouts", json={"phone": "+5511987650006"})
    verify(server.requests[0], hook["secret"])
    deliveries = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["data"]
    assert [(d["event"], d["status"], d["last_status_code"]) for d in deliveries] == [
        ("optout.created", "succeeded", 200)
    ]
    patched = api.patch(f"/api/v1/webhooks/{hook['id']}", json={"is_active": False})
    assert patched.get_json()["is_active"] is False
    assert api.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 200
    assert api.get("/api/v1/webhooks").get_json()["data"] == []


def test_webhooks_panel_shows_last_response(app, tenant, login_as, receiver):
    receiver(500, 500, 500, 500, 500)
    browser = login_as(tenant.admin, tenant)
    page = browser.post("/settings/webhooks", data={"url": "https://erp.test/h",
                                                    "events": ["optout.created"]})  # fmt: skip
    assert page.status_code == 303
    assert "whsec_" in browser.get(page.headers["Location"]).get_data(as_text=True)
    optout.add_opt_out(tenant.id, "+5511987650007")
    html = browser.get("/settings/webhooks").get_data(as_text=True)
    assert "HTTP 500" in html and "erro do servidor" in html and "5 tentativas" in html
    assert "whsec_" not in html


def test_sweep_requeues_lost_deliveries_and_purges_old_keys(app, db, tenant, receiver, monkeypatch):
    from datetime import timedelta

    from clickpro.models import IdempotencyKey
    from clickpro.models.base import utcnow
    from clickpro.tasks.outbound_webhooks import sweep

    server = receiver(200)
    monkeypatch.setattr(hooks, "_schedule", lambda delivery_id, delay_s: None)  # job lost
    hooks.create_endpoint(tenant.id, "https://erp.test/hook", ["optout.created"])
    optout.add_opt_out(tenant.id, "+5511987650008")
    (delivery,) = hooks.recent_deliveries(tenant.id)
    assert delivery.status == DeliveryStatus.PENDING and server.requests == []
    delivery.created_at = utcnow() - timedelta(hours=1)
    db.session.add(IdempotencyKey(client_id=tenant.id, key="velha", fingerprint="x",
                                  created_at=utcnow() - timedelta(days=2)))  # fmt: skip
    db.session.add(IdempotencyKey(client_id=tenant.id, key="nova", fingerprint="x"))
    db.session.commit()
    monkeypatch.undo()
    app.config.update(OUTBOUND_WEBHOOK_TRANSPORT=server)
    assert sweep() == {"requeued": 1, "idempotency_purged": 1}
    assert len(server.requests) == 1
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert db.session.scalars(sa.select(IdempotencyKey.key)).all() == ["nova"]
