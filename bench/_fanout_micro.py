"""Micro-bench: what one ``message:new`` costs the web process per connected socket.

The inbox bench (``inbox_latency.py``) sees ~55 µs of web CPU per socket per event under
gevent. This splits that cost into the steps python-socketio / python-engineio /
simple-websocket take for each socket of the room, once the packet is encoded (python-
socketio encodes it once per room, ``BaseManager.emit``):

* ``queue``: ``engineio.Socket.send`` puts the packet on the socket's gevent queue and
  the socket's writer greenlet takes it (``queue.get(timeout=…)``) — a greenlet switch
  and a timer per packet;
* ``frame``: wsproto builds the WebSocket frame (str → UTF-8, header) — without and with
  ``permessage-deflate`` (browsers ask for it and simple-websocket accepts it, so each
  socket compresses the same text with its own zlib context; the bench's light agents
  do not ask for it);
* ``send``: the gevent socket ``send`` of the frame (a socketpair, drained by a reader).

    .venv/bin/python bench/_fanout_micro.py [--sockets 200 --events 50 --size 1500]

Prints ``name value`` lines (µs per socket per event). In-process, nothing else started.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
from gevent.queue import Queue  # noqa: E402
from wsproto import ConnectionType, WSConnection  # noqa: E402
from wsproto.events import AcceptConnection, Request, TextMessage  # noqa: E402
from wsproto.extensions import PerMessageDeflate  # noqa: E402


def payload(size: int) -> str:
    """An Engine.IO/Socket.IO ``message:new`` frame text of about ``size`` characters."""
    body = {"emitted_ms": time.time() * 1000, "message": {"body": "x" * max(0, size - 300)}}
    return '42/inbox,["message:new",' + json.dumps(body, separators=(",", ":")) + "]"


def server_connection(deflate: bool) -> WSConnection:
    """A server-side wsproto connection after the handshake (deflate negotiated or not)."""
    client = WSConnection(ConnectionType.CLIENT)
    server = WSConnection(ConnectionType.SERVER)
    extensions = [PerMessageDeflate()] if deflate else []
    server.receive_data(client.send(Request(host="x", target="/", extensions=extensions)))
    for event in server.events():
        if isinstance(event, Request):
            accepted = [PerMessageDeflate()] if deflate else []
            client.receive_data(server.send(AcceptConnection(extensions=accepted)))
    return server


def per_socket_us(started: float, sockets: int, events: int) -> float:
    return (time.perf_counter() - started) * 1e6 / (sockets * events)


def bench_frames(text: str, sockets: int, events: int, deflate: bool) -> float:
    conns = [server_connection(deflate) for _ in range(sockets)]
    started = time.perf_counter()
    for _ in range(events):
        for conn in conns:
            conn.send(TextMessage(data=text))
    return per_socket_us(started, sockets, events)


def bench_queue(sockets: int, events: int) -> float:
    """``Socket.send`` → the writer greenlet's ``get(timeout=…)``, per socket."""
    queues = [Queue() for _ in range(sockets)]
    taken = [0]

    def writer(q: Queue) -> None:
        while True:
            if q.get(timeout=50) is None:
                return
            taken[0] += 1

    tasks = [gevent.spawn(writer, q) for q in queues]
    gevent.sleep(0)
    started = time.perf_counter()
    for _ in range(events):
        for q in queues:
            q.put(1)
        gevent.sleep(0)  # the emitting greenlet yields: the writers run
    while taken[0] < sockets * events:
        gevent.sleep(0)
    result = per_socket_us(started, sockets, events)
    for q in queues:
        q.put(None)
    gevent.joinall(tasks)
    return result


def bench_send(frame: bytes, sockets: int, events: int) -> float:
    pairs = [socket.socketpair() for _ in range(sockets)]

    def reader(sock: socket.socket) -> None:
        while sock.recv(65536):
            pass

    readers = [gevent.spawn(reader, b) for _, b in pairs]
    started = time.perf_counter()
    for _ in range(events):
        for a, _ in pairs:
            a.send(frame)
        gevent.sleep(0)
    result = per_socket_us(started, sockets, events)
    for a, _ in pairs:
        a.close()
    gevent.joinall(readers, timeout=5)
    for _, b in pairs:
        b.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--size", type=int, default=1500)
    args = parser.parse_args()
    text = payload(args.size)
    frame = server_connection(False).send(TextMessage(data=text))
    print(f"settings sockets={args.sockets} events={args.events} frame_bytes={len(frame)}")
    print(f"queue_us_per_socket {bench_queue(args.sockets, args.events):.1f}")
    print(f"frame_us_per_socket {bench_frames(text, args.sockets, args.events, False):.1f}")
    deflated = bench_frames(text, args.sockets, args.events, True)
    print(f"frame_deflate_us_per_socket {deflated:.1f}")
    print(f"send_us_per_socket {bench_send(frame, args.sockets, args.events):.1f}")


if __name__ == "__main__":
    main()
