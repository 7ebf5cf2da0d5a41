"""Outbound webhooks cannot reach internal addresses; failures are categories; backoff is
per endpoint.

Attacks, each run against a real listener on 127.0.0.1 (it must never receive a request
unless ``OUTBOUND_WEBHOOK_ALLOW_PRIVATE`` is on): every spelling of loopback and of the
private, link-local, multicast, unspecified and reserved ranges, names that resolve
there, DNS answers that change after the URL was saved (rebinding) and mixed A records.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from api_helpers import assert_error

from clickpro.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from clickpro.services.api import outbound_webhooks as hooks
from clickpro.services.api import url_guard

PUBLIC_IP = "93.184.216.34"


class Listener:
    """A local HTTP server that records every request it gets (path, headers, body)."""

    def __init__(self, status: int = 200, delay_s: float = 0.0) -> None:
        self.status, self.delay_s = status, delay_s
        self.requests: list[tuple[str, dict, bytes]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                listener.requests.append((self.path, dict(self.headers), body))
                if listener.delay_s:
                    time.sleep(listener.delay_s)
                self.send_response(listener.status)
                self.end_headers()
                self.wfile.write(b"ok" * 10_000)  # more than the excerpt keeps

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def real_network(app):
    """No fake transport: the guarded one of production; fast retries, small timeout."""
    app.config["OUTBOUND_WEBHOOK_TRANSPORT"] = None
    app.config.update(
        OUTBOUND_WEBHOOK_ALLOW_PRIVATE=False,
        OUTBOUND_WEBHOOK_TIMEOUT_S=0.5,
        OUTBOUND_WEBHOOK_BACKOFF_S=0,
        OUTBOUND_WEBHOOK_MAX_ATTEMPTS=1,
    )
    return app


@pytest.fixture
def dns(monkeypatch):
    """Fake DNS answers: ``dns["erp.example"] = ["1.2.3.4"]``; a list of lists answers
    one after another (the last one repeats) — a rebinding attacker's server."""
    answers: dict[str, list[list[str]]] = {}
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            lookups.append(host)
            queue = answers[host]
            ips = queue.pop(0) if len(queue) > 1 else queue[0]
            family = {True: socket.AF_INET6, False: socket.AF_INET}
            return [(family[":" in ip], socket.SOCK_STREAM, 6, "", (ip, port)) for ip in ips]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    class Dns(dict):
        def __setitem__(self, host, value):
            answers[host] = value if value and isinstance(value[0], list) else [value]

    fake = Dns()
    fake.lookups = lookups
    return fake


def _deliver_one(tenant) -> WebhookDelivery:
    ids = hooks.publish(tenant.id, "optout.created", {"optout": {"phone": "+5511987650000"}})
    assert len(ids) == 1
    return hooks.recent_deliveries(tenant.id)[0]


# --------------------------------------------------------------------------- literals

LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "2130706433",  # decimal
    "127.1",  # short
    "127.0.1",
    "0177.0.0.1",  # octal
    "0x7f.1",  # hex
    "0x7f000001",
    "017700000001",
    "127.000.000.001",
    "[::1]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::ffff:7f00:1]",
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "localhost",
    "api.localhost",
]
INTERNAL_HOSTS = [
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.10",
    "100.64.0.1",  # CGNAT
    "169.254.169.254",  # cloud metadata
    "[fe80::1]",
    "[fc00::1]",
    "224.0.0.1",
    "[ff02::1]",
    "0.0.0.0",
    "0",
    "[::]",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",  # benchmarking
    "[2001:db8::1]",  # documentation
    "[::ffff:10.0.0.1]",
]


def test_internal_addresses_are_refused_when_saved(real_network, tenant, listener):
    for host in LOOPBACK_SPELLINGS + INTERNAL_HOSTS:
        with pytest.raises(hooks.WebhookEndpointError) as refused:
            hooks.create_endpoint(tenant.id, listener.url(host), ["optout.created"])
        assert refused.value.field == "url" and "recusado" in refused.value.message, host
    assert listener.requests == []


def test_allow_private_setting_opens_loopback_and_lan(real_network, tenant, listener):
    real_network.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = True
    for host in ("127.0.0.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "10.1.2.3"):
        endpoint, _ = hooks.create_endpoint(tenant.id, listener.url(host), ["optout.created"])
        assert endpoint.id
    # Link-local (cloud metadata), multicast and unspecified stay refused.
    for host in ("169.254.169.254", "[fe80::1]", "224.0.0.1", "0.0.0.0", "[::]"):
        with pytest.raises(hooks.WebhookEndpointError):
            hooks.create_endpoint(tenant.id, f"http://{host}/hook", ["optout.created"])


def test_public_addresses_are_allowed() -> None:
    for host in ("93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "1.1.1.1"):
        assert url_guard.is_allowed(url_guard.parse_ip(host))
    assert url_guard.parse_ip("erp.example.com") is None
    assert url_guard.parse_ip("1.2.3.4.5") is None
    assert str(url_guard.parse_ip("0x7f.1")) == "127.0.0.1"
    assert str(url_guard.parse_ip("0177.0.0.1")) == "127.0.0.1"
    assert str(url_guard.parse_ip("2130706433")) == "127.0.0.1"
    assert url_guard.parse_ip("4294967296") is None  # > 32 bits: not an address


def test_api_and_panel_answer_a_clear_error(real_network, tenant, api, login_as, listener):
    answer = api.post(
        "/api/v1/webhooks", json={"url": listener.url("0177.0.0.1"), "events": ["optout.created"]}
    )
    assert "recusado" in str(assert_error(answer, 422)["details"]["url"])
    browser = login_as(tenant.admin, tenant)
    page = browser.post(
        "/settings/webhooks", data={"url": listener.url("127.1"), "events": ["optout.created"]}
    )
    assert page.status_code in (200, 400)
    assert "recusado" in page.get_data(as_text=True)
    assert hooks.endpoints_of(tenant.id) == []
    assert listener.requests == []


# --------------------------------------------------------------------------- names and DNS


def test_a_name_resolving_to_loopback_is_refused(real_network, tenant, listener, dns):
    dns["hooks.attacker.example"] = ["127.0.0.1"]
    with pytest.raises(hooks.WebhookEndpointError):
        hooks.create_endpoint(tenant.id, listener.url("hooks.attacker.example"), ["optout.created"])
    dns["mixed.attacker.example"] = [PUBLIC_IP, "127.0.0.1"]  # one bad A record is enough
    with pytest.raises(hooks.WebhookEndpointError):
        hooks.create_endpoint(tenant.id, listener.url("mixed.attacker.example"), ["optout.created"])
    assert listener.requests == []


def test_dns_rebinding_after_save_is_refused_at_delivery(real_network, tenant, listener, dns):
    # Public when saved, loopback ever after (each lookup answers the next entry).
    dns["rebind.attacker.example"] = [[PUBLIC_IP], ["127.0.0.1"]]
    hooks.create_endpoint(tenant.id, listener.url("rebind.attacker.example"), ["optout.created"])
    delivery = _deliver_one(tenant)
    assert listener.requests == []
    assert delivery.status == DeliveryStatus.FAILED
    assert "recusado" in delivery.last_error and "127.0.0.1" not in delivery.last_error
    assert dns.lookups.count("rebind.attacker.example") == 2  # saved + one on connect


def test_connects_to_the_checked_address_with_the_name_as_host(real_network, tenant, listener, dns):
    real_network.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = True
    dns["erp.lan"] = ["127.0.0.1"]
    _, secret = hooks.create_endpoint(tenant.id, listener.url("erp.lan"), ["optout.created"])
    delivery = _deliver_one(tenant)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    ((path, headers, body),) = listener.requests
    assert path == "/hook" and headers["Host"] == f"erp.lan:{listener.port}"
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-ClickPro-Signature"] == expected
    assert len(delivery.last_response) <= hooks.EXCERPT


def test_setting_turned_off_after_save_refuses_at_delivery(real_network, tenant, listener):
    real_network.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = True
    hooks.create_endpoint(tenant.id, listener.url(), ["optout.created"])
    real_network.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = False
    real_network.config["OUTBOUND_WEBHOOK_MAX_ATTEMPTS"] = 5
    delivery = _deliver_one(tenant)
    assert listener.requests == []
    # Refused is final at once: retrying would change nothing.
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert "recusado" in delivery.last_error


# --------------------------------------------------------------------------- failure reasons


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


FAILURES = {
    "refused": "Conexão recusada",
    "timeout": "Tempo esgotado",
    "tls": "Erro de TLS",
    "http503": "HTTP 503",
}


def test_failure_reasons_are_categories_not_socket_errors(real_network, tenant, db):
    real_network.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = True
    for case, expected in FAILURES.items():
        server = Listener(status=503, delay_s=2.0 if case == "timeout" else 0.0)
        try:
            url = {
                "refused": f"http://127.0.0.1:{_unused_port()}/hook",
                "tls": server.url(scheme="https"),
            }.get(case, server.url())
            endpoint, _ = hooks.create_endpoint(tenant.id, url, ["optout.created"])
            delivery = _deliver_one(tenant)
        finally:
            server.close()
        assert delivery.status == DeliveryStatus.FAILED, case
        assert expected in delivery.last_error, (case, delivery.last_error)
        for leak in ("Errno", "errno", "ConnectError", "[SSL", "111", "timed out", "127.0.0.1"):
            assert leak not in delivery.last_error, (case, delivery.last_error)
        hooks.delete_endpoint(endpoint)


def test_an_invalid_stored_url_fails_with_a_reason(real_network, tenant, db, listener):
    real_network.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = True
    endpoint, _ = hooks.create_endpoint(tenant.id, listener.url(), ["optout.created"])
    for broken in ("http://[::1/hook", "gopher://127.0.0.1/x", "not a url"):
        endpoint.url = broken  # saved before validation existed, or edited in the database
        db.session.commit()
        delivery = _deliver_one(tenant)
        assert delivery.status == DeliveryStatus.FAILED, broken
        assert delivery.last_error and delivery.next_attempt_at is None
    assert listener.requests == []


# --------------------------------------------------------------------------- per-endpoint backoff


class Clock:
    def __init__(self, start) -> None:
        self.now = start

    def __call__(self):
        return self.now


@pytest.fixture
def scheduler(app, monkeypatch):
    """Jobs recorded (not run), a fake clock; ``run()`` executes them in due order."""
    from clickpro.models.base import utcnow

    clock = Clock(utcnow())
    jobs: list[tuple[object, int, int]] = []
    counter = iter(range(10**9))
    monkeypatch.setattr(hooks, "utcnow", clock)

    def schedule(delivery_id, delay_s):
        jobs.append((clock.now + timedelta(seconds=delay_s or 0), next(counter), delivery_id))

    monkeypatch.setattr(hooks, "_schedule", schedule)

    class Scheduler:
        pending = jobs

        def queued_ids(self) -> list[int]:
            return [job[2] for job in jobs]

        def run(self, until_empty: bool = True, max_jobs: int = 10_000) -> int:
            ran = 0
            while jobs and ran < max_jobs:
                jobs.sort()
                due, _, delivery_id = jobs.pop(0)
                clock.now = max(clock.now, due)
                hooks.deliver(delivery_id)
                ran += 1
            return ran

    return Scheduler()


class Flaky:
    """A fake endpoint: answers ``status`` (changeable), counts the requests."""

    def __init__(self, status: int = 500) -> None:
        self.status = status
        self.hits = 0

    def handle_request(self, request):
        import httpx

        self.hits += 1
        return httpx.Response(self.status, text="fora do ar")


def test_failing_endpoint_backs_off_as_a_whole(app, tenant, db, scheduler):
    import httpx

    down = Flaky(500)
    app.config.update(
        OUTBOUND_WEBHOOK_TRANSPORT=httpx.MockTransport(down.handle_request),
        OUTBOUND_WEBHOOK_BACKOFF_S=10,
        OUTBOUND_WEBHOOK_MAX_ATTEMPTS=5,
        OUTBOUND_WEBHOOK_FAILING_AFTER=3,
    )
    endpoint, _ = hooks.create_endpoint(tenant.id, "https://erp.test/hook", ["optout.created"])
    healthy, _ = hooks.create_endpoint(tenant.id, "https://ok.test/hook", ["optout.created"])
    healthy.is_active = False  # only the failing endpoint here
    db.session.commit()
    for i in range(50):
        hooks.publish(tenant.id, "optout.created", {"n": i})
    assert len(scheduler.pending) == 50
    # Run the 50 first jobs: 3 HTTP attempts trip the endpoint, the other 47 wait, jobless.
    scheduler.run(max_jobs=50)
    assert down.hits == 3
    db.session.refresh(endpoint)
    assert endpoint.failures == 3 and endpoint.retry_at is not None
    assert len(scheduler.pending) == 3  # the three failed deliveries' own retries
    scheduler.run(max_jobs=3)
    assert down.hits == 4  # only one of them got to try; the other two now wait
    assert len(scheduler.pending) == 1
    # While it stays down: one attempt at a time, ever longer apart, never a flood.
    scheduler.run(max_jobs=20)
    assert down.hits == 24 and len(scheduler.pending) <= 1
    db.session.refresh(endpoint)
    gap = (endpoint.retry_at - hooks.utcnow()).total_seconds()
    assert gap >= 10 * 2**10 or gap == pytest.approx(3600, abs=60)
    # It comes back: the next attempt succeeds and the waiting deliveries are drained.
    down.status = 200
    scheduler.run()
    statuses = db.session.scalars(sa.select(WebhookDelivery.status)).all()
    assert statuses.count(DeliveryStatus.SUCCEEDED) + statuses.count(DeliveryStatus.FAILED) == 50
    assert statuses.count(DeliveryStatus.SUCCEEDED) >= 40
    db.session.refresh(endpoint)
    assert endpoint.failures == 0 and endpoint.retry_at is None
    assert down.hits < 24 + 50 + 5


def test_new_events_of_a_failing_endpoint_get_no_job(app, tenant, db, scheduler):
    import httpx

    down = Flaky(503)
    app.config.update(
        OUTBOUND_WEBHOOK_TRANSPORT=httpx.MockTransport(down.handle_request),
        OUTBOUND_WEBHOOK_FAILING_AFTER=1,
        OUTBOUND_WEBHOOK_BACKOFF_S=30,
    )
    endpoint, _ = hooks.create_endpoint(tenant.id, "https://erp.test/hook", ["optout.created"])
    hooks.publish(tenant.id, "optout.created", {"n": 0})
    scheduler.run(max_jobs=1)
    assert down.hits == 1 and len(scheduler.pending) == 1
    for i in range(100):
        hooks.publish(tenant.id, "optout.created", {"n": i})
    assert len(scheduler.pending) == 1  # no job per event while it backs off
    waiting = db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.status == DeliveryStatus.PENDING)
    ).all()
    assert len(waiting) == 100 and all(d.next_attempt_at is not None for d in waiting)
    # The sweep does not flood the queue with them either (only a lost attempt is redone).
    assert hooks.requeue_lost(hooks.utcnow() + timedelta(seconds=5)) == 0
    db.session.refresh(endpoint)
    assert hooks.requeue_lost(endpoint.retry_at + timedelta(hours=1)) == 1


def test_one_attempt_in_flight_per_failing_endpoint(app, tenant, db):
    """Two workers waking after ``retry_at``: the conditional UPDATE lets one through."""
    from clickpro.models.base import utcnow

    endpoint, _ = hooks.create_endpoint(tenant.id, "https://erp.test/hook", ["optout.created"])
    endpoint.failures, endpoint.retry_at = 5, utcnow() - timedelta(seconds=1)
    db.session.commit()
    now = utcnow()
    assert hooks._claim_attempt(endpoint, now) is True
    assert hooks._claim_attempt(endpoint, now) is False
    assert db.session.get(WebhookEndpoint, endpoint.id).retry_at > now


# --------------------------------------------------------------------------- secrets


def test_signing_secret_is_not_kept_in_the_idempotency_replay(app, api, db, tenant):
    """Attack: read the replay store (a dump, a backup) to get the signing secret."""
    from clickpro.models import IdempotencyKey

    headers = {"Idempotency-Key": "cria-webhook-1"}
    payload = {"url": "https://erp.test/h", "events": ["optout.created"]}
    first = api.post("/api/v1/webhooks", json=payload, headers=headers)
    assert first.status_code == 201
    secret = first.get_json()["secret"]
    assert secret.startswith("whsec_")
    stored = db.session.scalars(sa.select(IdempotencyKey.response_body)).all()
    assert stored and all(secret not in (body or "") for body in stored)
    replay = api.post("/api/v1/webhooks", json=payload, headers=headers)
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.get_json()["secret"] is None  # shown once; the rest of the answer is kept
    assert replay.get_json()["id"] == first.get_json()["id"]
    assert len(hooks.endpoints_of(tenant.id)) == 1
