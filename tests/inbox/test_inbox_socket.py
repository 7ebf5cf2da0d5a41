"""Socket.IO /inbox: authentication, tenant isolation and cross-process delivery."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import redis
import socketio as sio_pkg
from live_helpers import PASSWORD, LiveClient, ServerThread, emit_from_worker_process, login

from clickpro.extensions import db
from clickpro.extensions import socketio as flask_socketio
from clickpro.models import ClientMember

PHONE_ID = "100000000000011"


def _socket_client(app, user=None, tenant=None, headers=None):
    http = app.test_client()
    if user is not None:
        with http.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            if tenant is not None:
                session["client_id"] = tenant.id
    return flask_socketio.test_client(
        app, namespace="/inbox", flask_test_client=http, headers=headers
    )


def _received(sock, name):
    return [e["args"][0] for e in sock.get_received("/inbox") if e["name"] == name]


def test_anonymous_and_deactivated_members_are_refused(app, tenants):
    assert not _socket_client(app).is_connected("/inbox")
    member = _socket_client(app, tenants.a_user, tenants.a)
    assert member.is_connected("/inbox")
    # a page of another site riding on the session cookie (cross-site WebSocket hijacking)
    foreign = {"Origin": "https://evil.example"}
    assert not _socket_client(app, tenants.a_user, tenants.a, foreign).is_connected("/inbox")
    same = {"Origin": "http://localhost"}
    assert _socket_client(app, tenants.a_user, tenants.a, same).is_connected("/inbox")
    membership = db.session.query(ClientMember).filter_by(user_id=tenants.a_user.id).one()
    membership.is_active = False
    db.session.commit()
    assert not _socket_client(app, tenants.a_user, tenants.a).is_connected("/inbox")


def test_inbound_webhook_reaches_only_its_clients_sockets(
    app, wired, sandbox, create_member, conversation, login_as
):
    sock_a = _socket_client(app, wired.a_user, wired.a)
    sock_a2 = _socket_client(app, wired.a.admin, wired.a)
    sock_b = _socket_client(app, wired.b_user, wired.b)
    for sock in (sock_a, sock_a2, sock_b):
        sock.get_received("/inbox")

    sandbox.simulate_inbound(PHONE_ID, "5511987650001", text="Quero comprar", name="Carla")
    sandbox.flush()

    new_a = _received(sock_a, "message:new")
    assert [m["message"]["body"] for m in new_a] == ["Quero comprar"]
    assert new_a[0]["conversation"]["name"] == "Carla"
    assert new_a[0]["conversation"]["unread_count"] == 1
    # events name the conversation and the number: the list patches the right row
    conv_event, message_event = new_a[0]["conversation"], new_a[0]["message"]
    assert message_event["conversation_id"] == conv_event["id"]
    assert message_event["number_id"] == conv_event["number_id"]
    assert conv_event["phone_number_id"] == PHONE_ID
    assert [m["message"]["body"] for m in _received(sock_a2, "message:new")] == ["Quero comprar"]
    assert sock_b.get_received("/inbox") == []

    # an agent reply: message:new (QUEUED→SENT row) + conversation:update (AI paused)
    conversation_id = new_a[0]["conversation"]["id"]
    http = login_as(wired.a_user, wired.a)
    sent = http.post(
        f"/inbox/api/conversations/{conversation_id}/messages", json={"body": "Claro!"}
    )
    assert sent.status_code == 201
    events = sock_a.get_received("/inbox")
    names = [e["name"] for e in events]
    assert "message:new" in names and "conversation:update" in names
    update = [e["args"][0] for e in events if e["name"] == "conversation:update"][-1]
    assert update["conversation"]["ai_paused"] is True
    assert update["conversation"]["id"] == conversation_id

    # statuses from Meta move the ticks: message:status SENT → DELIVERED → READ
    statuses: list[str] = []
    deadline = time.monotonic() + 10
    while "READ" not in statuses and time.monotonic() < deadline:
        sandbox.flush()  # the sandbox schedules the statuses 50 ms apart
        statuses += [s["status"] for s in _received(sock_a, "message:status")]
        time.sleep(0.05)
    assert statuses and statuses[-1] == "READ", statuses
    assert sock_b.get_received("/inbox") == []


def test_notification_reaches_the_bell_of_its_user_only(app, tenants):
    from clickpro.services.accounts.notifications import notify

    sock_user = _socket_client(app, tenants.a_user, tenants.a)
    sock_admin = _socket_client(app, tenants.a.admin, tenants.a)
    notify(tenants.a.id, "test", "Para o agente", user_id=tenants.a_user.id)
    assert [n["text"] for n in _received(sock_user, "notification:new")] == ["Para o agente"]
    assert _received(sock_admin, "notification:new") == []
    notify(tenants.a.id, "test", "Para todos")
    assert [n["text"] for n in _received(sock_admin, "notification:new")] == ["Para todos"]


def _queue_url() -> str:
    url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/10"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"needs a real Redis for the Socket.IO message queue ({url})")
    return url


def test_two_real_clients_through_the_redis_queue(
    make_app, app, tenants, conversation, database_url
):
    """Server in a thread (EMBEDDED=False, Redis queue); the event is published by a
    separate process; A's client gets it, B's never does; anonymous is refused."""
    queue_url = _queue_url()
    contact, inbound = conversation(tenants.a, body="Mensagem do cliente")
    overrides = {
        "EMBEDDED": False,
        "REDIS_URL": queue_url,
        "SANDBOX_ENABLED": False,
        # pub/sub is global to the Redis server: never hear other test runs' events
        "SOCKETIO_CHANNEL": f"clickpro-test-{uuid.uuid4().hex}",
    }
    server_app = make_app(**overrides)
    with ServerThread(server_app) as server:
        with pytest.raises(sio_pkg.exceptions.ConnectionError):
            LiveClient(server.url, None)
        client_a = LiveClient(server.url, login(server.url, tenants.a_user.email, PASSWORD))
        client_b = LiveClient(server.url, login(server.url, tenants.b_user.email, PASSWORD))
        try:
            worker_config = {
                **server_app.config,
                "CONFIG_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": database_url,
            }
            emit_from_worker_process(worker_config, tenants.a.id, inbound.id)
            got = client_a.wait_for("message:new", 10)
            assert got is not None, "A's client did not receive the worker's event"
            assert got["message"]["id"] == inbound.id
            assert got["message"]["body"] == "Mensagem do cliente"
            assert client_b.wait_for("message:new", 1.0) is None
        finally:
            client_a.close()
            client_b.close()


def test_deactivation_and_logout_disconnect_open_sockets_at_once(
    make_app, create_client, create_member, db
):
    """Before: a deactivated member's open socket kept receiving the client's events."""
    from clickpro.models import Role

    server_app = make_app()
    tenant = create_client()
    member = create_member(tenant, Role.CLIENT_USER)
    other = create_member(tenant, Role.CLIENT_USER)
    member_email, other_email, admin_email = member.email, other.email, tenant.admin.email
    membership_id = db.session.query(ClientMember.id).filter_by(user_id=member.id).scalar()
    with ServerThread(server_app) as server:
        member_http = login(server.url, member_email, PASSWORD)
        member_sock = LiveClient(server.url, member_http)
        other_http = login(server.url, other_email, PASSWORD)
        other_sock = LiveClient(server.url, other_http)
        try:
            assert member_sock.sio.connected and other_sock.sio.connected
            admin_http = login(server.url, admin_email, PASSWORD)
            done = admin_http.post(f"{server.url}/members/{membership_id}/deactivate")
            assert done.status_code == 200
            deadline = time.monotonic() + 5
            while member_sock.sio.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not member_sock.sio.connected, "the deactivated member's socket stayed open"
            assert other_sock.sio.connected  # nobody else is touched
            # Reconnecting with the saved cookie is refused.
            with pytest.raises(sio_pkg.exceptions.ConnectionError):
                LiveClient(server.url, member_http)
            # Logout ends the user's open sockets too.
            other_http.post(f"{server.url}/logout")
            deadline = time.monotonic() + 5
            while other_sock.sio.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not other_sock.sio.connected
        finally:
            member_sock.close()
            other_sock.close()
