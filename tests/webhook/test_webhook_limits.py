"""Attack: cheap denial of service through the webhook body (size, nesting, bad signatures).

Before the fix a chunked 50 MB body with a bad signature was read whole by
``request.get_data()`` (580 MB of RSS), and a signed body nested 1,000 deep was stored,
then raised ``RecursionError`` in the worker.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from webhook_helpers import encode, inbound, post, sign
from werkzeug.test import EnvironBuilder, run_wsgi_app

from clickpro.crypto import encrypt
from clickpro.extensions import db
from clickpro.models import Message, WebhookEvent
from clickpro.services.webhook.ingest import clear_secret_cache
from clickpro.services.webhook.limits import BodyTooLarge, json_depth_ok, read_capped

MB = 1024 * 1024


class EndlessBody:
    """A request stream of ``size`` bytes produced on demand (never held in memory)."""

    def __init__(self, size: int, fill: bytes = b"[") -> None:
        self.left = size
        self.fill = fill
        self.served = 0

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left)
        self.left -= n
        self.served += n
        return self.fill * n


def _post_stream(app, stream, headers: dict, length: int | None = None) -> int:
    """POST /webhook straight through WSGI: chunked (no Content-Length) unless ``length``."""
    environ = EnvironBuilder(path="/webhook", method="POST", headers=headers).get_environ()
    environ["wsgi.input"] = stream
    environ.pop("CONTENT_LENGTH", None)
    if length is None:
        environ["wsgi.input_terminated"] = True  # what gunicorn sets for chunked bodies
    else:
        environ["CONTENT_LENGTH"] = str(length)
    _, status, _ = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0])


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("fastpath", [True, False])
def test_chunked_50_mb_body_is_413_with_bounded_memory(make_app, shop, fastpath):
    app = make_app(WEBHOOK_FASTPATH=fastpath)
    with app.app_context():
        stream = EndlessBody(50 * MB)
        tracemalloc.start()
        try:
            code = _post_stream(app, stream, {"X-Hub-Signature-256": "sha256=" + "0" * 64})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert code == 413
        assert peak < 16 * MB, f"peak {peak / MB:.1f} MB"
        assert stream.served <= 4 * MB + 64 * 1024 + 1  # reading stopped past the cap
        assert _count(WebhookEvent) == 0


def test_declared_oversize_is_413_without_reading(make_app, shop):
    app = make_app()
    with app.app_context():
        stream = EndlessBody(50 * MB)
        code = _post_stream(app, stream, {"X-Hub-Signature-256": "sha256=00"}, 50 * MB)
        assert code == 413 and stream.served == 0


def test_body_cap_is_a_setting(make_app, shop):
    app = make_app(WEBHOOK_MAX_BODY_BYTES=1024)
    with app.app_context():
        payload = inbound("5511987654321")
        payload["pad"] = "x" * 2000
        assert post(app.test_client(), payload).status_code == 413


@pytest.mark.parametrize("fastpath", [True, False])
def test_thousand_deep_signed_body_is_refused_and_never_stored(make_app, shop, fastpath):
    app = make_app(WEBHOOK_FASTPATH=fastpath)
    with app.app_context():
        deep = b'{"entry":' + b"[" * 1000 + b"]" * 1000 + b"}"
        response = app.test_client().post(
            "/webhook", data=deep, headers={"X-Hub-Signature-256": sign(deep)}
        )
        assert response.status_code == 400
        assert _count(WebhookEvent) == 0


def test_brackets_inside_strings_do_not_count(client, shop):
    payload = inbound("5511987654321", {"type": "text", "text": {"body": "[" * 5000 + '\\"{'}})
    assert post(client, payload).status_code == 200
    assert _count(Message) == 1


def test_bad_signature_never_parses_json(client, shop, monkeypatch):
    """With own-secret clients present, a forged body is still refused without a parse."""
    shop.credential.app_secret_enc = encrypt("segredo-do-app-da-loja")
    db.session.commit()
    clear_secret_cache()

    def no_parse(*args, **kwargs):
        raise AssertionError("json.loads called on an unauthenticated body")

    monkeypatch.setattr(json, "loads", no_parse)
    body = encode(inbound("5511987654321"))
    for header in ("sha256=" + "0" * 64, sign(body, "wrong-secret"), None):
        headers = {"X-Hub-Signature-256": header} if header else {}
        assert client.post("/webhook", data=body, headers=headers).status_code == 403
    assert _count(WebhookEvent) == 0


def test_read_capped_stops_one_chunk_past_the_cap():
    stream = EndlessBody(10 * MB)
    with pytest.raises(BodyTooLarge):
        read_capped(stream, MB)
    assert stream.served <= MB + 64 * 1024
    assert read_capped(EndlessBody(100), MB) == b"[" * 100
    assert read_capped(EndlessBody(100), MB, length=10) == b"[" * 10


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=4), children, max_size=3)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(_json, st.integers(min_value=1, max_value=12))
def test_depth_check_agrees_with_the_parsed_depth(value, limit):
    raw = json.dumps(value).encode()
    assert json_depth_ok(raw, limit) == (_depth(value) <= limit)


def test_depth_check_is_fast_on_a_4_mb_adversarial_body():
    import time

    block = b"[" * 32 + b"]" * 32
    raw = block * (4 * MB // len(block))
    started = time.perf_counter()
    assert json_depth_ok(raw, 32)
    assert not json_depth_ok(b"[" + raw + b"]", 32)
    assert time.perf_counter() - started < 2.0
