"""``/metrics``: the token, the counters moving, queue lengths, and multi-process mode."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from clickpro import metrics
from clickpro.integrations.meta import GraphClient, GraphError

TOKEN = "s3cr3t-metrics-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _token(request):
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["METRICS_TOKEN"] = TOKEN


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the scrape (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def scrape(client) -> str:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return response.get_data(as_text=True)


def test_no_token_setting_is_404(make_app):
    http = make_app().test_client()  # METRICS_TOKEN unset
    assert http.get("/metrics").status_code == 404
    assert http.get("/metrics", headers=AUTH).status_code == 404


def test_wrong_or_missing_token_is_401(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]
    assert b"clickpro_" not in response.data


def test_queue_lengths_are_read_from_redis_at_scrape(client, app):
    from rq import Queue

    from clickpro.extensions import redis_connection
    from clickpro.jobs import QUEUE_IMPORTS

    queue = Queue(QUEUE_IMPORTS, connection=redis_connection())
    before = sample(scrape(client), "clickpro_queue_length", queue=QUEUE_IMPORTS)
    for _ in range(3):
        queue.enqueue("builtins.print", "x")
    text = scrape(client)
    assert sample(text, "clickpro_queue_length", queue=QUEUE_IMPORTS) == before + 3
    assert sample(text, "clickpro_redis_up") == 1
    queue.empty()


def _signed_post(client, payload: dict, secret: str = "test-app-secret"):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhook",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )


def _status_payload(n: int) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "999", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "1", "phone_number_id": "9990001"},
            "statuses": [{"id": f"wamid.metrics{n}", "status": "delivered",
                          "timestamp": "1700000000", "recipient_id": "5511999990000"}],
        }}]}],
    }  # fmt: skip


def test_webhook_ack_and_processing_move_the_counters(client, app):
    before = scrape(client)
    ok = sample(before, "clickpro_webhook_acks_total", result="ok")
    forbidden = sample(before, "clickpro_webhook_acks_total", result="forbidden")
    processed = sample(before, "clickpro_webhook_processing_lag_seconds_count")
    assert _signed_post(client, _status_payload(1)).status_code == 200
    assert _signed_post(client, _status_payload(2)).status_code == 200
    assert _signed_post(client, _status_payload(3), secret="wrong").status_code == 403
    after = scrape(client)
    assert sample(after, "clickpro_webhook_acks_total", result="ok") == ok + 2
    assert sample(after, "clickpro_webhook_acks_total", result="forbidden") == forbidden + 1
    # Processed in the request here (tests run RQ synchronously): two lag observations.
    assert sample(after, "clickpro_webhook_processing_lag_seconds_count") == processed + 2
    assert sample(after, "clickpro_webhook_processing_lag_seconds_bucket", le="+Inf") >= 2


def _graph(handler) -> GraphClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return GraphClient("token", base_url="http://graph.test", api_version="v23.0", http=http)


def test_sends_are_counted_by_result_and_error_class(client, app):
    def answer(request: httpx.Request) -> httpx.Response:
        to = json.loads(request.content)["to"]
        if to == "1":
            return httpx.Response(
                200, json={"contacts": [{"wa_id": "1"}], "messages": [{"id": "wamid.X"}]}
            )
        code = 130429 if to == "2" else 131026
        status = 429 if to == "2" else 400
        return httpx.Response(status, json={"error": {"code": code, "message": "no"}})

    graph = _graph(answer)
    before = scrape(client)
    graph.send_text("123", "1", "oi")
    for to in ("2", "3", "3"):
        with pytest.raises(GraphError):
            graph.send_text("123", to, "oi")
    after = scrape(client)

    def moved(**labels: str) -> float:
        return sample(after, "clickpro_sends_total", **labels) - sample(
            before, "clickpro_sends_total", **labels
        )

    assert moved(result="sent", error="") == 1
    assert moved(result="throttled", error="throughput") == 1
    assert moved(result="failed", error="undeliverable") == 2


def test_job_failures_are_counted_by_job(client, app):
    from rq import Queue

    from clickpro.extensions import redis_connection
    from clickpro.jobs import QUEUE_DEFAULT
    from clickpro.tasks import make_worker

    before = sample(scrape(client), "clickpro_job_failures_total", job="json.loads")
    Queue(QUEUE_DEFAULT, connection=redis_connection()).enqueue("json.loads", "{not json")
    worker = make_worker(app, (QUEUE_DEFAULT,), embedded=True)
    worker.work(burst=True)
    assert sample(scrape(client), "clickpro_job_failures_total", job="json.loads") == before + 1


def test_socket_gauge_counts_only_accepted_connections():
    before = metrics.SOCKETS._value.get()
    metrics.socket_opened("sid-a")
    metrics.socket_opened("sid-a")  # the same socket once
    metrics.socket_opened("sid-b")
    metrics.socket_closed("sid-never-accepted")
    assert metrics.SOCKETS._value.get() == before + 2
    metrics.socket_closed("sid-a")
    metrics.socket_closed("sid-b")
    assert metrics.SOCKETS._value.get() == before


WRITER = """
import sys
from clickpro import metrics
for _ in range(int(sys.argv[1])):
    metrics.webhook_ack(200)
metrics.send_result("throughput")
for i in range(int(sys.argv[2])):
    metrics.socket_opened(f"s{i}")
print(__import__("os").getpid())
"""


def _write(directory: Path, acks: int, sockets: int) -> int:
    env = {**os.environ, metrics.MULTIPROC_ENV: str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(acks), str(sockets)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return int(done.stdout.strip().splitlines()[-1])


def test_multi_process_mode_sums_every_process(client, app, tmp_path, monkeypatch):
    first = _write(tmp_path, acks=3, sockets=2)
    second = _write(tmp_path, acks=4, sockets=1)
    assert first != second
    assert len(list(tmp_path.glob("*.db"))) >= 4  # counter + live gauge files of each
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    text = scrape(client)
    assert sample(text, "clickpro_webhook_acks_total", result="ok") == 7
    assert sample(text, "clickpro_sends_total", result="throttled", error="throughput") == 2
    assert sample(text, "clickpro_socketio_connections") == 3
    assert sample(text, "clickpro_queue_length", queue="webhooks") == 0  # still from Redis
    # gunicorn's child_exit: a dead process's connections stop counting, counters stay.
    metrics.mark_process_dead(first)
    text = scrape(client)
    assert sample(text, "clickpro_socketio_connections") == 1
    assert sample(text, "clickpro_webhook_acks_total", result="ok") == 7


def test_socket_connections_gauge_follows_real_sockets(client, app, tenants):
    from clickpro.extensions import socketio as flask_socketio

    def connect(user=None, tenant=None):
        http = app.test_client()
        if user is not None:
            with http.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
                session["client_id"] = tenant.id
        return flask_socketio.test_client(app, namespace="/inbox", flask_test_client=http)

    before = sample(scrape(client), "clickpro_socketio_connections")
    first = connect(tenants.a_user, tenants.a)
    second = connect(tenants.b_user, tenants.b)
    refused = connect()  # anonymous: refused, never counted
    assert first.is_connected("/inbox") and not refused.is_connected("/inbox")
    assert sample(scrape(client), "clickpro_socketio_connections") == before + 2
    first.disconnect("/inbox")
    assert sample(scrape(client), "clickpro_socketio_connections") == before + 1
    second.disconnect("/inbox")
    assert sample(scrape(client), "clickpro_socketio_connections") == before
