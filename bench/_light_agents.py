"""Many inbox agents on one thread: raw Engine.IO 4 / Socket.IO 5 WebSockets.

The inbox bench measures the *server's* webhook → socket latency with 200 agents
connected. Two hundred ``socketio.Client`` objects in the bench process are two or three
threads each (read loop, write loop, pings) fighting for one GIL: on a 2-core machine
they used 170–210 ms of CPU per inbound message — more than the server under test — so
the figure measured the bench starving the server. These agents speak the same wire
protocol the browser's socket.io-client does over WebSocket (open packet, namespace
connect, ping → pong, ``42/inbox,["message:new", …]`` events) from one ``selectors``
loop, at a fraction of the cost. The bench still opens some real ``socketio.Client``
agents next to them, so the protocol is checked by the library too.
"""

from __future__ import annotations

import contextlib
import queue
import re
import selectors
import threading
import time

import websocket

NAMESPACE = "/inbox"
EVENT_PREFIX = '42/inbox,["message:new",'
# The two fields the bench reads, without decoding the whole message shape per event.
BODY = re.compile(r'"body":\s*"([^"\\]*)"')
EMITTED = re.compile(r'"emitted_ms":\s*([0-9.]+)')


class LightAgent:
    """One connected agent (``connected`` / ``disconnect()`` like ``socketio.Client``)."""

    def __init__(self, number: int, ws: websocket.WebSocket) -> None:
        self.number = number
        self.ws = ws
        self.connected = True

    def disconnect(self) -> None:
        self.connected = False
        with contextlib.suppress(Exception):
            self.ws.send("41" + NAMESPACE + ",")
        with contextlib.suppress(Exception):
            self.ws.close()


class LightAgents:
    """Connects agents and delivers their ``message:new`` events to ``received`` as
    ``(agent number, body, received at, emitted_ms)`` — the bench's queue format."""

    def __init__(self, url: str, received: queue.Queue) -> None:
        self.ws_url = url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.received = received
        self.selector = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="light-agents", daemon=True)
        self.thread.start()

    def connect(self, number: int, cookie: str, timeout: float = 20.0) -> LightAgent | None:
        """Handshake synchronously, then hand the socket to the loop; None on failure."""
        try:
            ws = websocket.create_connection(
                self.ws_url,
                header=[f"Cookie: {cookie}"],
                timeout=timeout,
                skip_utf8_validation=True,  # pure-Python validation of every frame
            )
        except (OSError, websocket.WebSocketException):
            return None
        try:
            if not str(ws.recv()).startswith("0"):  # Engine.IO open packet
                raise ConnectionError("no open packet")
            ws.send("40" + NAMESPACE + ",")
            while True:
                frame = str(ws.recv())
                if frame == "2":
                    ws.send("3")
                elif frame.startswith("40" + NAMESPACE):
                    break
                elif frame.startswith("44" + NAMESPACE) or not frame:
                    raise ConnectionError(frame[:120] or "closed")
        except (OSError, ConnectionError, websocket.WebSocketException):
            with contextlib.suppress(Exception):
                ws.close()
            return None
        agent = LightAgent(number, ws)
        with self.lock:
            self.selector.register(ws.sock, selectors.EVENT_READ, agent)
        return agent

    def _loop(self) -> None:
        # epoll may be registered into from connect() while this thread waits in it (the
        # kernel allows it; the selector's map is a dict, safe under the GIL).
        while not self.stopping.is_set():
            for key, _mask in self.selector.select(timeout=0.05):
                self._read(key.data)

    def _read(self, agent: LightAgent) -> None:
        try:
            frame = agent.ws.recv()
        except (OSError, websocket.WebSocketException):
            frame = ""
        if not frame:  # closed by the server
            agent.connected = False
            with self.lock, contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(agent.ws.sock)
            return
        if frame == "2":  # Engine.IO ping
            agent.ws.send("3")
            return
        if isinstance(frame, str) and frame.startswith(EVENT_PREFIX):
            at = time.time()
            body, emitted = BODY.search(frame), EMITTED.search(frame)
            if body is not None:
                self.received.put((agent.number, body.group(1), at,
                                   float(emitted.group(1)) if emitted else None))  # fmt: skip

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
