"""The lean pooled HTTP client of Graph sends (integrations/meta/lean_http.py).

Against a real HTTP/1.1 keep-alive server on loopback: connections are reused, a
connection the server closed while idle is not reused, and the errors keep httpx's
"sent or not" meaning that the campaign classifier relies on (never sent twice).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clickpro.integrations.meta import GraphClient, GraphError
from clickpro.integrations.meta.lean_http import LeanHTTP
from clickpro.models.base import utcnow
from clickpro.services.campaigns.dispatch_outcome import classify


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    peers: list[int]
    mode: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        server: _Server = self.server  # type: ignore[assignment]
        server.peers.append(self.client_address[1])
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if server.mode == "drop":  # read the request, then vanish without an answer
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if server.mode == "error":
            raw = json.dumps({"error": {"code": 131026, "message": "(#131026) Undeliverable",
                                        "fbtrace_id": "T"}}).encode()  # fmt: skip
            self.send_response(400)
        else:
            raw = json.dumps({"messages": [{"id": f"wamid.{body['to']}"}],
                              "auth": self.headers["Authorization"]}).encode()  # fmt: skip
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)
        if server.mode == "close_after":
            self.close_connection = True


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.peers, srv.mode = [], "ok"
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _client(server: _Server, lean: LeanHTTP) -> GraphClient:
    import httpx

    base = f"http://127.0.0.1:{server.server_address[1]}"
    return GraphClient("tok", base_url=base, api_version="v23.0", http=httpx.Client(), lean=lean)


def test_sends_reuse_one_kept_alive_connection(server):
    client = _client(server, LeanHTTP())
    results = [client.send_text("123", f"55119{i:08d}", "oi") for i in range(5)]
    assert [r.wamid for r in results] == [f"wamid.55119{i:08d}" for i in range(5)]
    assert results[0].raw["auth"] == "Bearer tok"
    assert len(set(server.peers)) == 1


def test_a_connection_closed_while_idle_is_not_reused(server):
    server.mode = "close_after"  # keep-alive answer, then the server closes (idle timeout)
    client = _client(server, LeanHTTP())
    client.send_text("123", "5511900000001", "oi")
    time.sleep(0.2)  # the server's FIN is in
    server.mode = "ok"
    result = client.send_text("123", "5511900000002", "oi")  # a fresh connection, no error
    assert result.wamid == "wamid.5511900000002"
    assert len(server.peers) == 2 and len(set(server.peers)) == 2


def test_graph_errors_come_back_as_graph_errors(server):
    server.mode = "error"
    client = _client(server, LeanHTTP())
    with pytest.raises(GraphError) as caught:
        client.send_text("123", "5511900000001", "oi")
    assert caught.value.code == 131026 and caught.value.status_code == 400


def test_refused_connection_means_not_sent_and_is_retried():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    import httpx

    client = GraphClient("tok", base_url=f"http://127.0.0.1:{port}", api_version="v23.0",
                         http=httpx.Client(), lean=LeanHTTP())  # fmt: skip
    with pytest.raises(GraphError) as caught:
        client.send_text("123", "5511900000001", "oi")
    assert "ConnectError" in caught.value.title
    outcome = classify(1, caught.value, attempts=1, phone="+5511900000001", at=utcnow())
    assert outcome.kind == "retry"  # nothing left: safe to send again later


def test_no_answer_after_the_request_left_is_unknown_never_resent(server):
    server.mode = "drop"
    client = _client(server, LeanHTTP())
    with pytest.raises(GraphError) as caught:
        client.send_text("123", "5511900000001", "oi")
    assert len(server.peers) == 1  # the server got it exactly once: no silent retry
    outcome = classify(1, caught.value, attempts=1, phone="+5511900000001", at=utcnow())
    assert outcome.kind == "unknown"


def test_the_pool_never_opens_more_than_max_connections(server):
    lean = LeanHTTP(max_connections=2)
    client = _client(server, lean)
    threads = [
        threading.Thread(target=client.send_text, args=("123", f"55119{i:08d}", "oi"))
        for i in range(12)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(server.peers) == 12
    assert len(set(server.peers)) <= 2
    assert lean._open <= 2
