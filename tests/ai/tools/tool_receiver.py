"""A local HTTP endpoint standing in for the client's own API (an order lookup)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ORDER_SCHEMA = (
    '{"type": "object", "properties": {"numero_pedido": {"type": "string", '
    '"description": "Número do pedido", "maxLength": 20}}, "required": ["numero_pedido"], '
    '"additionalProperties": false}'
)


class Receiver:
    """Records every POST (path, headers, JSON body) and answers what ``reply`` says:
    ``(status, body bytes, delay_s)``; the default looks the order up."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reply = self.order_lookup
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})  # fmt: skip
                status, payload, delay = receiver.reply(body)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def order_lookup(body) -> tuple[int, bytes, float]:
        number = body.get("numero_pedido") if isinstance(body, dict) else None
        answer = {"pedido": number, "status": "enviado", "previsao": "05/12"}
        return 200, json.dumps(answer).encode(), 0.0

    def url(self, path: str = "/pedidos") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
