"""Idle WebSocket connections cost no thread; anonymous ones are refused at the handshake;
one address holds at most ``SOCKETIO_MAX_PER_IP`` connections.

The raw WebSocket client is the one of ``bench/idle_sockets.py`` (the bench opens 2,000).
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from live_helpers import PASSWORD, ServerThread, login

from clickpro.forwarding import client_address

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import idle_sockets as raw  # noqa: E402


def _cookie(session) -> str:
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items())


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _polling_handshake(port: int, cookie: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/socket.io/?EIO=4&transport=polling", headers={"Cookie": cookie or ""})
    status = conn.getresponse().status
    conn.close()
    return status


def _wait(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_anonymous_handshakes_are_refused_at_once(app, tenants):
    with ServerThread(app) as server:
        port = _port(server.url)
        started = time.perf_counter()
        status, sock, _ = raw.ws_handshake(port, None, timeout=5)
        sock.close()
        assert status == 401  # no WebSocket is kept for a visitor without a session
        assert time.perf_counter() - started < 2
        assert _polling_handshake(port) == 401
        guard = app.extensions["clickpro.socket_guard"]
        assert guard.open_connections() == 0


def test_one_address_holds_at_most_the_configured_sockets(app, tenants):
    app.config["SOCKETIO_MAX_PER_IP"] = 2
    with ServerThread(app) as server:
        port = _port(server.url)
        cookie = _cookie(login(server.url, tenants.a_user.email, PASSWORD))
        first = raw.open_idle_socket(port, cookie, timeout=5)
        second = raw.open_idle_socket(port, cookie, timeout=5)
        assert first is not None and second is not None
        guard = app.extensions["clickpro.socket_guard"]
        assert guard.open_connections("127.0.0.1") == 2
        assert raw.open_idle_socket(port, cookie, timeout=5) is None  # the third: 401
        assert _polling_handshake(port, cookie) == 401
        first.close()  # a tab closed: its slot is free again
        assert _wait(lambda: guard.open_connections("127.0.0.1") == 1)
        third = raw.open_idle_socket(port, cookie, timeout=5)
        assert third is not None
        for sock in (second, third):
            sock.close()


def test_forwarded_address_only_from_a_trusted_proxy():
    env = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}
    assert client_address(env, ["10.0.0.5"]) == "203.0.113.9"  # the hop our proxy added
    assert client_address(env, ["127.0.0.1"]) == "10.0.0.5"  # anyone else: the peer
    assert client_address({**env, "HTTP_X_FORWARDED_FOR": "junk"}, ["10.0.0.5"]) == "10.0.0.5"


@pytest.fixture
def production_server(tmp_path):
    """``gunicorn -c config/gunicorn.conf.py wsgi:app`` on SQLite, with one member."""
    from clickpro.crypto import generate_key

    env = {
        **os.environ,
        "CLICKPRO_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'idle.db'}",
        "SECRET_KEY": "idle-sockets-test-" + "x" * 40,
        "CLICKPRO_ENCRYPTION_KEYS": generate_key(),
        "META_VERIFY_TOKEN": "bench-verify",
        "CLICKPRO_PLUGINS": "",
        "CLICKPRO_SOCKETIO_MAX_PER_IP": "100",
        "CLICKPRO_LOG_LEVEL": "warning",
    }
    env.pop("REDIS_URL", None)
    seed = (
        "from clickpro import create_app\n"
        "from clickpro.extensions import db\n"
        "from clickpro.models import Client, ClientMember, Role, User\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    db.create_all()\n"
        "    c = Client(name='Idle', slug='idle'); db.session.add(c); db.session.flush()\n"
        f"    u = User(email='{raw.EMAIL}', name='Idle'); u.set_password('{raw.PASSWORD}')\n"
        "    db.session.add(u); db.session.flush()\n"
        "    db.session.add(ClientMember(client_id=c.id, user_id=u.id, role=Role.CLIENT_ADMIN))\n"
        "    db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", seed], cwd=ROOT, env=env, check=True, timeout=120)
    port = raw.free_port()
    web = raw.start_web(env, port, str(ROOT / "config" / "gunicorn.conf.py"))
    try:
        raw.wait_ready(port)
        yield port
    finally:
        raw.stop_processes([web])


def test_40_idle_sockets_do_not_stop_healthz_under_the_production_server(production_server):
    port = production_server
    keeper = raw.Keeper()
    keeper.start()
    try:
        cookie = raw.login(port)
        assert raw.open_sockets(port, cookie, 40, keeper) == 0
        assert _wait(lambda: keeper.open == 40)
        # more idle sockets than the 32 threads the old gthread worker had
        ok, times = raw.timed_gets(port, "/healthz", 5)
        assert ok == 5 and max(times) < 5000
        ok, _ = raw.timed_gets(port, "/login", 2)
        assert ok == 2
        refused, _ = raw.anonymous_attempts(port, 3)
        assert refused == 3
        assert keeper.open == 40  # the idle ones are still there
    finally:
        keeper.close_all()
