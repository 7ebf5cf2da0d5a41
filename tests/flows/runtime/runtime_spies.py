"""Spies for the flows runtime tests: what reached the sandbox's Graph and OpenAI APIs,
an OpenAI credential for the shop, and a local file server for media steps."""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from clickpro.crypto import encrypt, last4
from clickpro.extensions import db as _db
from clickpro.models import OpenAICredential

API_KEY = "sk-test-clickpro-flows-000000042"


class Spy(httpx.BaseTransport):
    """The sandbox transport, recording the JSON body of every POST whose path ends
    with one of ``suffixes`` (``/messages`` for Graph sends, ``/responses`` for OpenAI)."""

    def __init__(self, inner: httpx.BaseTransport, suffixes: tuple[str, ...]) -> None:
        self.inner, self.suffixes = inner, suffixes
        self.bodies: list[dict] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith(self.suffixes):
            with contextlib.suppress(ValueError):
                self.bodies.append(json.loads(request.read() or b"{}"))
        return self.inner.handle_request(request)


def spy_on(app, key: str, extension: str, suffixes: tuple[str, ...]) -> Spy:
    spy = Spy(app.config[key], suffixes)
    app.config[key] = spy
    app.extensions.pop(extension, None)
    return spy


def openai_credential(tenant, **fields) -> OpenAICredential:
    credential = OpenAICredential(
        client_id=tenant.id, api_key_enc=encrypt(API_KEY), key_last4=last4(API_KEY),
        assistant_id="cpa_flows0001", model="gpt-4.1-mini",
        instructions=fields.pop("instructions", "Você é a atendente da Loja Fluxos."),
        context_messages=12, handoff_keywords=["humano"], status="VALID",
        options=fields.pop("options", {}), **fields,
    )  # fmt: skip
    _db.session.add(credential)
    tenant.ai_enabled = True
    _db.session.commit()
    return credential


class Files:
    """A local GET server (127.0.0.1:0): ``/<name>`` answers ``files[name]``, with the
    ``Content-Type`` ``types[name]`` when given (none otherwise); ``paths`` records each GET."""

    def __init__(self, files: dict[str, bytes], types: dict[str, str] | None = None) -> None:
        served, content_types = files, types or {}
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                name = self.path.lstrip("/")
                paths.append(name)
                body = served.get(name)
                self.send_response(200 if body is not None else 404)
                if name in content_types:
                    self.send_header("Content-Type", content_types[name])
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
