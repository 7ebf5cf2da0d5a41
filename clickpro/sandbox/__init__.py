"""Local fakes of Meta's Graph API (WhatsApp Cloud API) and OpenAI's API.

``create_sandbox_app()`` builds a small standalone Flask app:

* ``/graph/<version>/…`` — set ``META_GRAPH_URL`` to ``<base>/graph``;
* ``/openai/v1/…`` — set ``OPENAI_BASE_URL`` to ``<base>/openai/v1``;
* ``/_control/…`` — accounts, config, failure injection, inbound messages, stats.

``app.extensions["sandbox"]`` is the :class:`SandboxState` (same operations in Python).
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from flask import Flask, jsonify
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from clickpro.sandbox.fastpath import SendFastPath
from clickpro.sandbox.state import DEFAULT_ACCOUNT, DEFAULT_SETTINGS, Account, SandboxState
from clickpro.sandbox.webhooks import sign

__all__ = [
    "DEFAULT_ACCOUNT",
    "DEFAULT_SETTINGS",
    "Account",
    "SandboxServer",
    "SandboxState",
    "create_sandbox_app",
    "run_sandbox",
    "sign",
]


def create_sandbox_app(settings: dict[str, Any] | None = None) -> Flask:
    from clickpro.sandbox import control, graph, openai_api, openai_files

    app = Flask("clickpro.sandbox")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["sandbox"] = SandboxState(settings)
    app.register_blueprint(graph.bp)
    app.register_blueprint(openai_api.bp)
    app.register_blueprint(openai_files.bp)
    app.register_blueprint(control.bp)
    app.wsgi_app = SendFastPath(app.wsgi_app, app.extensions["sandbox"])  # type: ignore[method-assign]

    @app.get("/")
    def index() -> Any:
        state: SandboxState = app.extensions["sandbox"]
        return jsonify(
            {
                "service": "clickpro-sandbox",
                "graph": "/graph/v23.0",
                "openai": "/openai/v1",
                "accounts": len(state.accounts()),
            }
        )

    return app


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request: at 1,000 sends/s it costs more than the send."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class SandboxServer:
    """Run the sandbox on a loopback port in a background thread.

    >>> with SandboxServer({"template_review_delay_s": 0.1}) as sandbox:
    ...     sandbox.url  # doctest: +SKIP
    """

    def __init__(
        self, settings: dict[str, Any] | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = create_sandbox_app(settings)
        self.host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> SandboxState:
        return self.app.extensions["sandbox"]

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("SandboxServer is not running")
        return f"http://{self.host}:{self._server.server_port}"

    @property
    def graph_url(self) -> str:
        return f"{self.url}/graph"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/openai/v1"

    def start(self) -> SandboxServer:
        self._server = make_server(
            self.host, self._port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.state.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_sandbox(
    host: str = "127.0.0.1",
    port: int = 5055,
    settings: dict[str, Any] | None = None,
    *,
    access_log: bool = False,
) -> None:
    """Serve the sandbox until interrupted (the ``clickpro sandbox`` command)."""
    app = create_sandbox_app(settings)
    handler = WSGIRequestHandler if access_log else _QuietHandler
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    base = f"http://{host}:{server.server_port}"
    logging.getLogger(__name__).info("sandbox on %s", base)
    print(f"ClickPro sandbox on {base}")
    print(f"  META_GRAPH_URL={base}/graph   OPENAI_BASE_URL={base}/openai/v1")
    print(f"  default account: token={DEFAULT_ACCOUNT['access_token']} "
          f"waba={DEFAULT_ACCOUNT['waba_id']} phone_number_id={DEFAULT_ACCOUNT['phone_number_id']}")  # fmt: skip
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["sandbox"].close()
