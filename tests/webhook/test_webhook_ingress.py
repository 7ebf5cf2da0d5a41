"""``clickpro webhook-server``: the webhook ingress under Granian, a real process.

On real PostgreSQL + Redis (the group commit's path): concurrent signed deliveries are
each stored before their 200 and handed off to the webhooks queue; forged ones are
refused; nothing but ``/webhook`` and ``/healthz`` is served on its port.
"""

from __future__ import annotations

import http.client
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from webhook_helpers import APP_SECRET, encode, inbound, sign

from clickpro.crypto import generate_key
from clickpro.extensions import db
from clickpro.models import WebhookEvent
from clickpro.tasks import QUEUE_WEBHOOKS, redis_connection
from clickpro.tasks.webhooks import FLAG_KEY, PENDING_KEY

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_REDIS_URL),
    reason="the ingress group-commits on PostgreSQL and hands off through real Redis",
)
CLICKPRO = str(Path(sys.executable).with_name("clickpro"))
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(port: int, method: str, path: str, body: bytes = b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _clear_hand_off(redis) -> None:
    redis.delete(PENDING_KEY, f"rq:queue:{QUEUE_WEBHOOKS}", *redis.keys(f"{FLAG_KEY}:*"))


@pytest.fixture
def ingress(app, database_url, tmp_path):
    """``clickpro webhook-server`` in production mode on this test's database and Redis."""
    redis = redis_connection(app)
    _clear_hand_off(redis)
    db.session.commit()
    port = _free_port()
    env = {
        **os.environ,
        "CLICKPRO_ENV": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": secrets.token_urlsafe(48),
        "CLICKPRO_ENCRYPTION_KEYS": generate_key(),
        "META_APP_SECRET": APP_SECRET,
        "META_VERIFY_TOKEN": "ingress-verify",
        "CLICKPRO_PLUGINS": "",
        "PYTHONUNBUFFERED": "1",
    }
    log = open(tmp_path / "ingress.log", "wb")  # noqa: SIM115
    command = [CLICKPRO, "webhook-server", "--host", "127.0.0.1", "--port", str(port),
               "--threads", "8"]  # fmt: skip
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    "webhook-server did not start:\n" + (tmp_path / "ingress.log").read_text()
                )
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
        _clear_hand_off(redis)


def _stored() -> list[WebhookEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id)))


def test_concurrent_deliveries_are_stored_before_200_and_handed_off(app, ingress):
    bodies = [encode(inbound(f"55119876{n:05d}")) for n in range(60)]

    def deliver(body: bytes) -> int:
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}
        return _request(ingress, "POST", "/webhook", body, headers)[0]

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(deliver, bodies))
    assert statuses == [200] * len(bodies)
    stored = _stored()
    assert len(stored) == len(bodies)  # every 200 was committed first
    assert {e.body_sha256 for e in stored} == {
        __import__("hashlib").sha256(b).hexdigest() for b in bodies
    }
    assert all(e.signed_by == "platform" and e.processed_at is None for e in stored)
    redis = redis_connection(app)
    handed = sorted(int(i) for i in redis.lrange(PENDING_KEY, 0, -1))
    assert handed == sorted(e.id for e in stored)  # each id handed off once
    assert redis.llen(f"rq:queue:{QUEUE_WEBHOOKS}") >= 1  # a drain job waits for a worker

    # Meta's redelivery of a stored body: 200, no second row, no second hand-off.
    assert deliver(bodies[0]) == 200
    assert len(_stored()) == len(bodies)
    assert redis.llen(PENDING_KEY) == len(bodies)


def test_forged_unsigned_and_other_paths_are_refused(app, ingress):
    body = encode(inbound("5511987650000"))
    forged = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, "wrong")}
    assert _request(ingress, "POST", "/webhook", body, forged)[0] == 403
    assert (
        _request(ingress, "POST", "/webhook", body, {"Content-Type": "application/json"})[0] == 403
    )
    assert _stored() == []
    challenge = "/webhook?hub.mode=subscribe&hub.verify_token=ingress-verify&hub.challenge=42"
    assert _request(ingress, "GET", challenge) == (200, b"42")
    for path in ("/login", "/inbox", "/api/v1/contacts", "/socket.io/?EIO=4&transport=polling"):
        assert _request(ingress, "GET", path)[0] == 404, path
