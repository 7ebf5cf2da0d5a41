"""A cheap HTTP/1.1 load generator: keep-alive connections on one ``selectors`` loop.

The webhook ack bench measures the *server's* cost of an ack. Its first generator was
one Python thread per connection (16 threads fighting for one GIL in the bench process,
each parsing every response header line), on the same 2 cores as gunicorn and
PostgreSQL. This one drives every connection from a single thread: the requests are
pre-built bytes (headers, signature and body), each connection has one request in
flight, and a response is parsed only as far as the status code and ``Content-Length``
(found with one ``bytes.find`` on the lower-cased head). Both the floor and the app are
loaded by it, so their ratio compares servers, not generators.

A response without ``Content-Length`` (chunked, or a server closing the connection) is
not what the endpoints under test send: it counts as a failed request and the
connection is replaced.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from dataclasses import dataclass, field

_HEAD_END = b"\r\n\r\n"
_LENGTH = b"\r\ncontent-length:"
_CHUNK = 65536
STALL_S = 30.0  # past the deadline, a run with no answer for this long ends


@dataclass
class _Conn:
    """One keep-alive connection and the request it has in flight."""

    sock: socket.socket
    index: int = -1
    started: float = 0.0
    buf: bytearray = field(default_factory=bytearray)
    need: int = -1  # bytes of head + body once the head is parsed; -1 until then
    status: int = 0


@dataclass
class LoadResult:
    """What :func:`run_load` measured."""

    seconds: float
    latencies: list[float]  # one per request answered (any status), in seconds
    bad: list[int]  # indexes of the requests not answered 200
    answered: list[int]  # indexes of every request taken, in the order they finished


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _parse_head(conn: _Conn) -> bool:
    """Status and total length of the response in ``conn.buf``; False while incomplete."""
    end = conn.buf.find(_HEAD_END)
    if end < 0:
        return False
    head = bytes(conn.buf[:end]).lower()
    conn.status = int(head[9:12])
    at = head.find(_LENGTH)
    if at < 0:
        raise OSError("response without Content-Length")
    stop = head.find(b"\r\n", at + 2)
    length = int(head[at + len(_LENGTH) : stop if stop >= 0 else len(head)])
    conn.need = end + len(_HEAD_END) + length
    return True


def run_load(port: int, requests: list[bytes], concurrency: int, max_seconds: float) -> LoadResult:
    """Post ``requests`` in order from ``concurrency`` keep-alive connections.

    Each connection sends its next request as soon as the previous answer is complete;
    the run stops when every request was answered or ``max_seconds`` have passed (the
    requests in flight then are still awaited, for at most :data:`STALL_S` of silence:
    those never answered are absent from the result). A connection that fails (closed, reset,
    no Content-Length) marks its request bad and is replaced.
    """
    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    bad: list[int] = []
    answered: list[int] = []
    position = 0
    deadline = time.monotonic() + max_seconds
    in_flight = 0
    clock = time.perf_counter

    def send_next(conn: _Conn) -> bool:
        nonlocal position, in_flight
        if position >= len(requests) or time.monotonic() > deadline:
            return False
        conn.index, position = position, position + 1
        conn.buf.clear()
        conn.need, conn.status = -1, 0
        conn.started = clock()
        conn.sock.sendall(requests[conn.index])  # < a socket buffer, nothing in flight
        in_flight += 1
        return True

    def finish(conn: _Conn, status: int) -> None:
        nonlocal in_flight
        in_flight -= 1
        latencies.append(clock() - conn.started)
        answered.append(conn.index)
        if status != 200:
            bad.append(conn.index)

    def replace(conn: _Conn) -> None:
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(conn.sock)
        conn.sock.close()
        fresh = _Conn(_connect(port))
        selector.register(fresh.sock, selectors.EVENT_READ, fresh)
        if not send_next(fresh):
            selector.unregister(fresh.sock)
            fresh.sock.close()

    started = clock()
    for _ in range(concurrency):
        conn = _Conn(_connect(port))
        selector.register(conn.sock, selectors.EVENT_READ, conn)
        if not send_next(conn):
            selector.unregister(conn.sock)
            conn.sock.close()
            break
    while in_flight:
        events = selector.select(timeout=5)
        if not events and time.monotonic() > deadline + STALL_S:
            break  # the server stopped answering: what is in flight stays unanswered
        for key, _mask in events:
            conn = key.data
            try:
                chunk = conn.sock.recv(_CHUNK)
                if not chunk:
                    raise OSError("connection closed")
                conn.buf += chunk
                if conn.need < 0 and not _parse_head(conn):
                    continue
                if len(conn.buf) < conn.need:
                    continue
                if len(conn.buf) > conn.need:  # one request in flight: nothing may follow
                    raise OSError("unexpected bytes after the response")
            except (OSError, ValueError):
                finish(conn, 0)
                replace(conn)
                continue
            finish(conn, conn.status)
            if not send_next(conn):
                selector.unregister(conn.sock)
                conn.sock.close()
    seconds = clock() - started
    for key in list(selector.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    selector.close()
    return LoadResult(seconds, latencies, bad, answered)
