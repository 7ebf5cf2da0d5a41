"""The floor of the webhook ack: the least work that acknowledges a delivery safely.

A bare WSGI app (no Flask, no ClickPro) run by ``bench/webhook.py`` under the same
gunicorn settings as the real app: it reads the body, checks the HMAC-SHA256 signature
with ``META_APP_SECRET``, and stores the body with one autocommitted ``INSERT … ON
CONFLICT (body_sha256) DO NOTHING`` per delivery into ``FLOOR_TABLE`` before answering
200 (an empty body, as the app answers). Connections are pooled per process (taken by a request, given back after it) and
live as long as the process: a connection per greenlet would close, with its backend,
when the load generator's keep-alive connection ends — before the bench's CPU meter
reads the backends, which then counted 0 ms of PostgreSQL per floor ack. The GET handshake answers the
challenge so the harness's readiness check works unchanged.

Gunicorn target: ``webhook_floor:app`` with ``--pythonpath bench``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import parse_qs

import psycopg

_SECRET = os.environ.get("META_APP_SECRET", "").encode()
_DSN = os.environ.get("FLOOR_DSN", "")
_TABLE = os.environ.get("FLOOR_TABLE", "webhook_events_floor")
_INSERT = (
    f"INSERT INTO {_TABLE} (body, body_sha256, signature_ok, routed, received_at,"
    " attempts, signed_by, dropped, malformed) VALUES (%s, %s, true, false, %s, 0,"
    " 'platform', 0, 0) ON CONFLICT (body_sha256) DO NOTHING RETURNING id"
)
_idle: list[psycopg.Connection] = []
_lock = threading.Lock()


def _insert(text: str, digest: str) -> None:
    with _lock:
        conn = _idle.pop() if _idle else None
    if conn is None or conn.closed:
        conn = psycopg.connect(_DSN, autocommit=True)
    conn.execute(_INSERT, (text, digest, datetime.now(UTC))).fetchone()
    with _lock:
        _idle.append(conn)


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    if environ.get("REQUEST_METHOD") == "GET":
        challenge = parse_qs(environ.get("QUERY_STRING", "")).get("hub.challenge", [""])[0]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [challenge.encode()]
    raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    given = environ.get("HTTP_X_HUB_SIGNATURE_256", "")[7:].encode()
    expected = hmac.new(_SECRET, raw, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, given):
        start_response("403 FORBIDDEN", [("Content-Length", "0")])
        return [b""]
    text = raw.decode("utf-8", "replace")
    digest = hashlib.sha256(raw).hexdigest()
    _insert(text, digest)
    start_response("200 OK", [("Content-Length", "0")])  # one send, like the app's 200
    return [b""]


if __name__ == "__main__":  # .ci/run runs every bench script: this one is a WSGI app
    print("webhook_floor.py is the ack floor served by bench/webhook.py; nothing to run alone")
