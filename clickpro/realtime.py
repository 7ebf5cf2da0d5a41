"""Socket.IO: namespace ``/inbox``, one room per client, and emit helpers.

Web processes and workers emit through the Redis message queue (``REDIS_URL``), so any
number of processes can run; in embedded mode everything is one process.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_login import current_user
from flask_socketio import join_room

from clickpro.extensions import socketio

log = logging.getLogger(__name__)
NAMESPACE = "/inbox"


def client_room(client_id: int) -> str:
    return f"client:{client_id}"


def init_realtime(app: Flask) -> None:
    queue = None if app.config.get("EMBEDDED") else app.config.get("REDIS_URL")
    # Flask-SocketIO keeps the client manager of an earlier init_app in server_options;
    # each app (tests build many) must get the queue of its own settings.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=queue,
        # Redis pub/sub channels ignore the db number: two deployments (or test runs)
        # sharing one Redis must not hear each other's events.
        channel=app.config.get("SOCKETIO_CHANNEL") or "clickpro-socketio",
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS", []),
        manage_session=False,
    )
    socketio.on_event("connect", _on_connect, namespace=NAMESPACE)


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
    origins = current_app.config.get("SOCKETIO_CORS_ORIGINS") or []
    return [origins] if isinstance(origins, str) else list(origins)


def _on_connect(auth=None):
    """Only an active member of an active client joins, and only the rooms of the client
    in use (``client:<id>`` and its own ``client:<id>:user:<uid>``).

    ``get_current_membership`` re-reads the membership from the database, so a session
    whose membership (or client, or user) was deactivated is refused at (re)connect.
    """
    from clickpro.tenancy import get_current_membership
    from clickpro.web import _fresh_request_state

    _fresh_request_state()  # no before_request for socket events: drop cached user/client
    if not current_user.is_authenticated or not getattr(current_user, "is_active", False):
        return False
    if not _same_origin():
        log.warning("socket connect refused: foreign origin %s", request.headers.get("Origin"))
        return False
    membership = get_current_membership()
    if membership is None or not membership.is_active:
        return False
    join_room(client_room(membership.client_id))
    join_room(user_room(membership.client_id, current_user.id))
    return True


def emit_to_client(client_id: int, event: str, data: dict) -> None:
    """Emit ``event`` to every inbox connection of ``client_id`` (never raises)."""
    if current_app.config.get("REALTIME_DISABLED"):
        return
    try:
        socketio.emit(event, data, namespace=NAMESPACE, to=client_room(client_id))
    except Exception:
        log.exception("socket emit %s to client %s failed", event, client_id)


def emit_to_user(client_id: int, user_id: int, event: str, data: dict) -> None:
    """Emit ``event`` to one member's inbox connections in ``client_id`` (never raises)."""
    if current_app.config.get("REALTIME_DISABLED"):
        return
    try:
        socketio.emit(event, data, namespace=NAMESPACE, to=user_room(client_id, user_id))
    except Exception:
        log.exception("socket emit %s to user %s failed", event, user_id)
