"""The Engine.IO gate in front of Socket.IO: no anonymous transport, a cap per address.

An Engine.IO connection (the WebSocket or long-polling session under Socket.IO) exists
before any Socket.IO namespace is joined, so refusing only at the ``/inbox`` connect
handler still lets anyone hold sockets open for free. This gate runs at the Engine.IO
handshake, before the server keeps anything:

* a handshake without a logged-in, active user is answered 401 at once;
* one address holds at most ``SOCKETIO_MAX_PER_IP`` open connections in this process
  (a browser needs one per open tab); the next handshake is answered 401.

Under gunicorn's gevent worker each idle connection is a greenlet, not a thread, so the
cap is about memory and fairness, not about starving HTTP requests.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from flask import Flask

from clickpro.forwarding import client_address, trusted_proxies

log = logging.getLogger(__name__)


class ConnectionGuard:
    """Wraps the Engine.IO ``connect``/``disconnect`` handlers of one Socket.IO server."""

    def __init__(self, app: Flask, eio) -> None:
        self.app = app
        self.trusted = trusted_proxies()
        self._open: Counter[str] = Counter()
        self._address_of: dict[str, str] = {}
        self._lock = threading.Lock()
        self._connect = eio.handlers.get("connect")
        self._disconnect = eio.handlers.get("disconnect")
        eio.on("connect", self.on_connect)
        eio.on("disconnect", self.on_disconnect)

    def open_connections(self, address: str | None = None) -> int:
        with self._lock:
            return self._open[address] if address else sum(self._open.values())

    @property
    def max_per_ip(self) -> int:
        return int(self.app.config["SOCKETIO_MAX_PER_IP"])  # read each time: tests change it

    def on_connect(self, eio_sid: str, environ: dict):
        address = client_address(environ, self.trusted)
        limit = self.max_per_ip
        with self._lock:
            if self._open[address] >= limit:
                full = True
            else:
                full = False
                self._open[address] += 1  # reserved now: parallel handshakes cannot overshoot
                self._address_of[eio_sid] = address
        if full:
            log.warning("socket refused: %s already holds %s connections", address, limit)
            return False
        try:
            allowed = self._logged_in(environ)
            if allowed and self._connect is not None:
                allowed = self._connect(eio_sid, environ) is not False
        except Exception:
            log.exception("socket handshake check failed")
            allowed = False
        if not allowed:
            self._release(eio_sid)
            return False
        return True

    def on_disconnect(self, eio_sid: str, reason=None):
        self._release(eio_sid)
        if self._disconnect is not None:
            return self._disconnect(eio_sid, reason)
        return None

    def _release(self, eio_sid: str) -> None:
        with self._lock:
            address = self._address_of.pop(eio_sid, None)
            if address is not None:
                self._open[address] -= 1
                if self._open[address] <= 0:
                    del self._open[address]

    def _logged_in(self, environ: dict) -> bool:
        """The session cookie of the handshake belongs to an active, logged-in user."""
        from clickpro.web import session_user

        # Read from the cookie now (no before_request here; a cached user may be stale).
        with self.app.request_context(environ):
            return session_user() is not None


def install_guard(app: Flask, server) -> ConnectionGuard:
    """Put a :class:`ConnectionGuard` on ``server`` (a python-socketio server) for ``app``."""
    guard = ConnectionGuard(app, server.eio)
    app.extensions["clickpro.socket_guard"] = guard
    return guard
