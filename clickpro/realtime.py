"""Socket.IO: namespace ``/inbox``, one room per client, and emit helpers.

Web processes and workers emit through the Redis message queue (``REDIS_URL``), so any
number of processes can run; in embedded mode everything is one process.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from flask_login import current_user
from flask_socketio import join_room

from clickpro.extensions import socketio

log = logging.getLogger(__name__)
NAMESPACE = "/inbox"


def client_room(client_id: int) -> str:
    return f"client:{client_id}"


def init_realtime(app: Flask) -> None:
    queue = None if app.config.get("EMBEDDED") else app.config.get("REDIS_URL")
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=queue,
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS", []),
        manage_session=False,
    )
    socketio.on_event("connect", _on_connect, namespace=NAMESPACE)


def _on_connect(auth=None):
    """Only a logged-in member joins, and only the room of the client in use."""
    from clickpro.tenancy import get_current_client

    if not current_user.is_authenticated:
        return False
    client = get_current_client()
    if client is None:
        return False
    join_room(client_room(client.id))
    return True


def emit_to_client(client_id: int, event: str, data: dict) -> None:
    """Emit ``event`` to every inbox connection of ``client_id`` (never raises)."""
    if current_app.config.get("REALTIME_DISABLED"):
        return
    try:
        socketio.emit(event, data, namespace=NAMESPACE, to=client_room(client_id))
    except Exception:
        log.exception("socket emit %s to client %s failed", event, client_id)
