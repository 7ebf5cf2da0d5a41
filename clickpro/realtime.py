"""Socket.IO: namespace ``/inbox``, one room per client, and emit helpers.

Web processes and workers emit through the Redis message queue (``REDIS_URL``), so any
number of processes can run; in embedded mode everything is one process.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Literal
from urllib.parse import urlsplit

import socketio as python_socketio
from flask import Flask, current_app, request, session
from flask_socketio import join_room

from clickpro import metrics
from clickpro.extensions import redis_connection, socketio
from clickpro.socket_guard import install_guard
from clickpro.tenancy import membership_in_use
from clickpro.web import session_user

log = logging.getLogger(__name__)
NAMESPACE = "/inbox"


def engine() -> Any:
    """The python-socketio server behind Flask-SocketIO (None before ``init_app``)."""
    return socketio.server  # type: ignore[attr-defined]  # set by init_app; stubs omit it


def current_sid() -> str:
    """The Socket.IO session id of the event being handled."""
    return request.sid  # type: ignore[attr-defined]  # Flask-SocketIO sets it per event


def client_room(client_id: int) -> str:
    return f"client:{client_id}"


def init_realtime(app: Flask) -> None:
    queue = None if app.config["EMBEDDED"] else app.config["REDIS_URL"]
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"] or async_mode(),
        # Passed explicitly (None: in-process) so that each app (tests build many) gets
        # the queue of its own settings, never the one an earlier init_app left behind.
        client_manager=_client_manager(queue, app.config["SOCKETIO_CHANNEL"]),
        # A list: an empty one leaves the origin check to _same_origin (a tuple would
        # make Engine.IO refuse every origin).
        cors_allowed_origins=list(app.config["SOCKETIO_CORS_ORIGINS"] or []),
        manage_session=False,
    )
    socketio.on_event("connect", _on_connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", _on_disconnect, namespace=NAMESPACE)
    install_guard(app, engine())
    app.wsgi_app = WithoutWebSocketCompression(app.wsgi_app)  # type: ignore[method-assign]


class WithoutWebSocketCompression:
    """Socket.IO's WebSockets without ``permessage-deflate``.

    Browsers offer the extension and simple-websocket accepts whatever is offered, so
    every socket of a client's room compressed the same event frame with its own zlib
    context: 58–78 µs of web CPU per socket per event on top of the ~55 µs the frame
    costs uncompressed (bench/_fanout_micro.py), for JSON events of a few hundred bytes.
    The Socket.IO reference server ships with compression off for the same reason.
    Dropping the offer from the handshake (only under the Socket.IO path) leaves the
    connection uncompressed; nothing else changes.
    """

    HEADER = "HTTP_SEC_WEBSOCKET_EXTENSIONS"

    def __init__(self, wsgi_app: Any, path: str = "/socket.io") -> None:
        self.wsgi_app = wsgi_app
        self.path = path

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if self.HEADER in environ and environ.get("PATH_INFO", "").startswith(self.path):
            del environ[self.HEADER]
        return self.wsgi_app(environ, start_response)


def _client_manager(queue: str | None, channel: str | None):
    """The Redis message queue shared by web processes and workers, or None.

    Redis pub/sub channels ignore the db number: two deployments (or test runs) sharing
    one Redis must not hear each other's events, hence a channel of our own.
    """
    if not queue:
        return None
    return _RedisManager(queue, channel=channel or "clickpro-socketio")


# Inside publishing_together(): the messages queued for one pipelined PUBLISH burst.
_held: ContextVar[list | None] = ContextVar("socketio_held_publishes", default=None)


class _RedisManager(python_socketio.RedisManager):
    """python-socketio's Redis queue, whose publishes can be held for one pipeline."""

    def _publish(self, data):
        held = _held.get()
        if held is None:
            return super()._publish(data)
        held.append(data)
        return None


@contextlib.contextmanager
def publishing_together() -> Iterator[None]:
    """Emits inside reach the Redis message queue in one pipeline when the block ends.

    For a burst emitted at once (the status changes of a processed webhook batch): one
    Redis round trip instead of one ``PUBLISH`` per event; same messages, same order,
    same rooms. Never raises (like :func:`emit_to_client`): a failed burst is logged.
    """
    manager = getattr(engine(), "manager", None)
    if not isinstance(manager, _RedisManager) or _held.get() is not None:
        yield
        return
    held: list = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        if held:
            _publish_held(manager, held)


def _publish_held(manager: _RedisManager, held: list) -> None:
    for retries_left in (1, 0):  # two attempts, like RedisManager._publish
        try:
            if not manager.connected:
                manager._redis_connect()
            pipe = manager.redis.pipeline(transaction=False)
            for data in held:
                pipe.publish(manager.channel, manager.json.dumps(data))
            pipe.execute()
            return
        except Exception:
            manager.connected = False
            if not retries_left:
                log.exception("socket emits: a burst of %s publishes failed", len(held))


AsyncMode = Literal["threading", "eventlet", "gevent", "gevent_uwsgi"]


def async_mode() -> AsyncMode:
    """``gevent`` in a gevent-patched process (the gunicorn worker of
    ``config/gunicorn.conf.py``: an idle socket is a greenlet, not a thread), else
    ``threading`` (embedded ``clickpro run``, tests, workers that only emit)."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("socket"):
        return "gevent"
    return "threading"


def user_room(client_id: int, user_id: int) -> str:
    return f"client:{client_id}:user:{user_id}"


def _same_origin() -> bool:
    """Refuse a browser connection opened from another site (cross-site WebSocket
    hijacking rides on the session cookie). Non-browser clients send no Origin."""
    origin = request.headers.get("Origin")
    if not origin:
        return True
    allowed = app_origins()
    return urlsplit(origin).netloc == request.host or origin in allowed


def app_origins() -> list[str]:
    origins = current_app.config["SOCKETIO_CORS_ORIGINS"] or []
    return [origins] if isinstance(origins, str) else list(origins)


def _on_connect(auth=None):
    """Only an active member of an active client joins, and only the rooms of the client
    in use (``client:<id>`` and its own ``client:<id>:user:<uid>``).

    The user and the membership are read from the cookie and the database now (no
    ``before_request`` runs for socket events), so a session ended by logout or
    deactivation, or whose membership (or client, or user) was deactivated, is refused
    at (re)connect.
    """
    user = session_user()
    if user is None:
        return False
    if not _same_origin():
        log.warning("socket connect refused: foreign origin %s", request.headers.get("Origin"))
        return False
    membership = membership_in_use(user)
    if membership is None or not membership.is_active:
        return False
    join_room(client_room(membership.client_id))
    join_room(user_room(membership.client_id, user.id))
    join_room(person_room(user.id))
    _remember_socket(user.id, current_sid(), membership.client_id)
    _mark_seen(membership.client_id, user.id)
    metrics.socket_opened(current_sid())
    return True


def _mark_seen(client_id: int, user_id: int) -> None:
    """Presence for least-busy routing; a failure never refuses the socket."""
    try:
        from clickpro.services.teams.presence import mark_seen

        mark_seen(client_id, user_id)
    except Exception:
        log.warning("could not mark %s as seen", user_id, exc_info=True)


# --------------------------------------------------------------------------- ending access


def person_room(user_id: int) -> str:
    """Every inbox socket of one user, whatever the client (logout ends them all)."""
    return f"user:{user_id}"


def _sockets_key(user_id: int) -> str:
    return f"clickpro:sockets:user:{user_id}"


def _remember_socket(user_id: int, sid: str, client_id: int) -> None:
    """Record ``sid -> client`` in Redis, where every web process can find it: a socket
    held by another process is disconnected through the Socket.IO message queue."""
    try:
        pipe = redis_connection().pipeline()
        pipe.hset(_sockets_key(user_id), sid, client_id)
        pipe.expire(_sockets_key(user_id), 7 * 24 * 3600)
        pipe.execute()
    except Exception:  # noqa: BLE001 - the local room still reaches this process's sockets
        log.warning("could not record socket %s of user %s", sid, user_id, exc_info=True)


def _on_disconnect(reason=None):
    metrics.socket_closed(current_sid())
    user_id = str(session.get("_user_id") or "").partition(":")[0]
    if not user_id.isdigit():
        return
    try:
        redis_connection().hdel(_sockets_key(int(user_id)), current_sid())
    except Exception:  # noqa: BLE001
        log.debug("could not forget socket %s", current_sid(), exc_info=True)


def disconnect_user(user_id: int, client_id: int | None = None) -> int:
    """Disconnect at once the open inbox sockets of ``user_id`` (in ``client_id`` only,
    or all of them): after logout, deactivation or a password change nothing they had
    open keeps receiving events. Never raises; returns how many sockets were asked to go.
    """
    server = engine()
    if server is None:
        return 0
    sids: set[str] = set()
    try:
        known = redis_connection().hgetall(_sockets_key(user_id))
    except Exception:  # noqa: BLE001
        log.warning("socket registry unavailable for user %s", user_id, exc_info=True)
        known = {}
    for raw_sid, raw_client in known.items():
        sid = raw_sid.decode() if isinstance(raw_sid, bytes) else str(raw_sid)
        owner = int(raw_client.decode() if isinstance(raw_client, bytes) else raw_client)
        if client_id is None or owner == client_id:
            sids.add(sid)
    room = person_room(user_id) if client_id is None else user_room(client_id, user_id)
    with contextlib.suppress(Exception):  # nobody in the room in this process
        sids.update(sid for sid, _eio in server.manager.get_participants(NAMESPACE, room))
    for sid in sids:
        try:
            server.disconnect(sid, namespace=NAMESPACE)
        except Exception:  # noqa: BLE001
            log.warning("could not disconnect socket %s", sid, exc_info=True)
    if sids:
        with contextlib.suppress(Exception):
            redis_connection().hdel(_sockets_key(user_id), *sids)
    return len(sids)


def emit_to_client(client_id: int, event: str, data: dict) -> None:
    """Emit ``event`` to every inbox connection of ``client_id`` (never raises)."""
    if current_app.config["REALTIME_DISABLED"]:
        return
    try:
        socketio.emit(event, data, namespace=NAMESPACE, to=client_room(client_id))
    except Exception:
        log.exception("socket emit %s to client %s failed", event, client_id)


def emit_to_user(client_id: int, user_id: int, event: str, data: dict) -> None:
    """Emit ``event`` to one member's inbox connections in ``client_id`` (never raises)."""
    if current_app.config["REALTIME_DISABLED"]:
        return
    try:
        socketio.emit(event, data, namespace=NAMESPACE, to=user_room(client_id, user_id))
    except Exception:
        log.exception("socket emit %s to user %s failed", event, user_id)
