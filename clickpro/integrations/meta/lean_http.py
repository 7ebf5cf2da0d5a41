"""A lean, pooled HTTP/1.1 client for the Graph API's hot route: JSON ``POST`` of a send.

Why not httpx here: measured on the bench machine (2 cores, loopback sandbox, 32 threads),
an httpx ``Client.post`` costs ~0.70 ms of CPU per request, the standard library's
``http.client`` on a kept-alive connection ~0.26 ms. At 1,000 sends/s that difference is
almost half a core. Everything else (GETs, uploads, media, tests with an injected httpx
transport) keeps using httpx; :class:`~.transport.GraphTransport` only routes plain JSON
POSTs here.

Semantics kept from httpx (they matter for "never sent twice"):

* a POST is never retried here; an error **before** the request left (connect refused,
  connect timeout, no free connection) raises :class:`ConnectError` / :class:`PoolTimeout`
  — names the campaign classifier reads as "not sent" —, anything later
  (:class:`ReadTimeout`, :class:`RemoteProtocolError`, :class:`WriteError`) as "outcome
  unknown";
* a kept-alive connection the server already closed is detected before it is reused
  (a zero-timeout ``select``: readable while idle means EOF) and dropped, so a stale
  socket does not turn a fresh request into an "unknown" one.
"""

from __future__ import annotations

import http.client
import json as _json
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "ConnectError",
    "LeanHTTP",
    "LeanResponse",
    "PoolTimeout",
    "ReadTimeout",
    "RemoteProtocolError",
    "WriteError",
]


class LeanTransportError(Exception):
    """Base of the transport failures (their class names are what callers classify)."""


class ConnectError(LeanTransportError):
    """The connection could not be opened: nothing was sent."""


class PoolTimeout(LeanTransportError):
    """No connection became free in time: nothing was sent."""


class WriteError(LeanTransportError):
    """Writing the request failed part-way: it may have reached the server."""


class ReadTimeout(LeanTransportError):
    """The request was sent, the answer did not come in time."""


class RemoteProtocolError(LeanTransportError):
    """The server closed the connection or answered garbage after the request was sent."""


class _Headers(dict):
    """Response headers, lower-cased names (``get`` like httpx's headers)."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class LeanResponse:
    """The part of ``httpx.Response`` the Graph client reads."""

    __slots__ = ("content", "headers", "reason_phrase", "status_code")

    def __init__(self, status: int, reason: str, headers: _Headers, content: bytes) -> None:
        self.status_code = status
        self.reason_phrase = reason
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return _json.loads(self.content)


class _Conn:
    __slots__ = ("conn", "idle_since")

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn
        self.idle_since = time.monotonic()


class LeanHTTP:
    """Thread-safe pool of kept-alive ``http.client`` connections per origin."""

    def __init__(
        self,
        *,
        max_connections: int = 200,
        keepalive_expiry: float = 30.0,
        connect_timeout: float = 5.0,
        headers: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | Callable[[], ssl.SSLContext] | None = None,
    ) -> None:
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry
        self.connect_timeout = connect_timeout
        self.headers = dict(headers or {})
        # A factory is called on the first https connection (loading a CA bundle costs
        # ~40 ms of CPU: not worth paying for a plain-http sandbox).
        self._ssl = ssl_context
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._open = 0
        self._cond = threading.Condition()
        self._closed = False

    # ------------------------------------------------------------------ pool
    def _checkout(self, origin: tuple[str, str, int], timeout: float) -> http.client.HTTPConnection:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                idle = self._idle.get(origin)
                while idle:
                    entry = idle.pop()
                    if self._usable(entry):
                        return entry.conn
                    entry.conn.close()
                    self._open -= 1
                if self._open < self.max_connections:
                    self._open += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._cond.wait(remaining):
                    raise PoolTimeout("no free connection")
        try:
            return self._connect(origin, timeout)
        except BaseException:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            raise

    def _usable(self, entry: _Conn) -> bool:
        if time.monotonic() - entry.idle_since > self.keepalive_expiry:
            return False
        sock = entry.conn.sock
        if sock is None:
            return False
        try:  # readable while idle = the server closed it (or sent junk): never reuse
            return not select.select([sock], [], [], 0)[0]
        except (OSError, ValueError):
            return False

    def _connect(self, origin: tuple[str, str, int], timeout: float) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connect_timeout = min(timeout, self.connect_timeout)
        conn: http.client.HTTPConnection
        if scheme == "https":
            if callable(self._ssl):
                self._ssl = self._ssl()
            context = self._ssl or ssl.create_default_context()
            conn = http.client.HTTPSConnection(host, port, timeout=connect_timeout, context=context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=connect_timeout)
        try:
            conn.connect()
        except TimeoutError as exc:
            conn.close()
            raise ConnectError(f"connect timeout: {exc}") from None
        except OSError as exc:  # refused, unreachable, TLS handshake refused
            conn.close()
            raise ConnectError(str(exc)) from None
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _checkin(self, origin: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        with self._cond:
            if self._closed:
                conn.close()
                self._open -= 1
            else:
                self._idle.setdefault(origin, []).append(_Conn(conn))
            self._cond.notify()

    def _discard(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        with self._cond:
            self._open -= 1
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            for entries in self._idle.values():
                for entry in entries:
                    entry.conn.close()
                    self._open -= 1
            self._idle.clear()

    # ------------------------------------------------------------------ request
    def post_json(
        self, url: str, body: Any, *, headers: Mapping[str, str], timeout: float
    ) -> LeanResponse:
        """POST ``body`` as JSON to ``url``; the response (any status). Never retried."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ConnectError(f"unsupported URL scheme {scheme!r}")
        port = parts.port or (443 if scheme == "https" else 80)
        origin = (scheme, parts.hostname, port)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        payload = _json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        hdrs = {**self.headers, **headers, "Content-Type": "application/json",
                "Content-Length": str(len(payload))}  # fmt: skip
        conn = self._checkout(origin, timeout)
        try:
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            try:
                conn.request("POST", target, body=payload, headers=hdrs)
            except OSError as exc:
                raise WriteError(str(exc)) from None
            try:
                response = conn.getresponse()
                content = response.read()
            except TimeoutError:
                raise ReadTimeout("read timeout") from None
            except (http.client.HTTPException, OSError) as exc:
                raise RemoteProtocolError(f"{type(exc).__name__}: {exc}") from None
        except BaseException:
            self._discard(conn)
            raise
        result = LeanResponse(
            response.status,
            response.reason,
            _Headers((k.lower(), v) for k, v in response.getheaders()),
            content,
        )
        if response.will_close:
            self._discard(conn)
        else:
            self._checkin(origin, conn)
        return result
