"""A real HTTP + Socket.IO server in a thread, logged-in python-socketio clients, and a
separate 'worker' process that emits through the Redis message queue."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import requests
import socketio
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "senha-segura-123"  # the default of the create_user factory (tests/conftest.py)


class ServerThread:
    """Serve ``app`` (threaded werkzeug: WebSocket through simple-websocket)."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def login(url: str, email: str, password: str) -> requests.Session:
    http = requests.Session()
    response = http.post(
        f"{url}/login", data={"email": email, "password": password}, allow_redirects=False
    )
    assert response.status_code in (302, 303), response.text[:300]
    return http


class LiveClient:
    """A python-socketio client on /inbox that records every event it receives."""

    EVENTS = ("message:new", "message:status", "conversation:update", "notification:new")

    def __init__(self, url: str, http: requests.Session | None) -> None:
        self.events: queue.Queue = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        for name in self.EVENTS:
            self.sio.on(name, self._recorder(name), namespace="/inbox")
        cookie = "; ".join(f"{k}={v}" for k, v in (http.cookies.items() if http else []))
        self.sio.connect(
            url,
            namespaces=["/inbox"],
            headers={"Cookie": cookie} if cookie else {},
            transports=["websocket"],
            wait_timeout=5,
        )

    def _recorder(self, name: str):
        def record(data):
            self.events.put((name, data))

        return record

    def wait_for(self, name: str, timeout: float = 5.0, predicate=lambda d: True):
        """The first ``name`` event matching ``predicate`` within ``timeout`` (or None)."""
        import time

        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event, data = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if event == name and predicate(data):
                return data
        return None

    def close(self) -> None:
        self.sio.disconnect()


WORKER_SCRIPT = """
import json, sys
from clickpro import create_app
from clickpro.services.inbox.events import publish_message
config = json.loads(sys.argv[1])
app = create_app(config)
with app.app_context():
    publish_message(config["_client_id"], config["_message_id"])
print("emitted")
"""


def emit_from_worker_process(config: dict, client_id: int, message_id: int) -> None:
    """Another process (as an RQ worker would) publishes ``message:new`` via Redis."""
    payload = {**config, "_client_id": client_id, "_message_id": message_id}
    payload = {
        k: v for k, v in payload.items() if isinstance(v, str | int | float | bool | type(None))
    }
    result = subprocess.run(
        [sys.executable, "-c", WORKER_SCRIPT, json.dumps(payload)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CLICKPRO_ENV": "testing"},
    )
    assert result.returncode == 0 and "emitted" in result.stdout, result.stderr[-2000:]
