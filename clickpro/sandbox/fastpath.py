"""A WSGI fast path for ``POST /graph/<version>/<phone_number_id>/messages`` (and
``/marketing_messages``, Meta's Marketing Messages API: same body, marketing only).

Sends are the only hot route (benchmarks push ~1,000/s through one sandbox process), so
they skip Flask's request/response machinery; the semantics live in
:mod:`clickpro.sandbox.messaging`, exactly as for any other route. Everything else is
passed to the Flask app.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from clickpro.sandbox.errors import error_body, not_found_body
from clickpro.sandbox.messaging import handle_send
from clickpro.sandbox.state import SandboxState

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SEND_PATH = re.compile(r"^/graph/(v\d+\.\d+)/([^/]+)/(messages|marketing_messages)$")
_REASONS = {200: "200 OK", 400: "400 Bad Request", 401: "401 Unauthorized",
            403: "403 Forbidden", 404: "404 Not Found", 500: "500 Internal Server Error"}  # fmt: skip


class SendFastPath:
    def __init__(self, app: WSGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        match = SEND_PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        body, status = self._send(environ, match.group(2), match.group(3))
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        start_response(
            _REASONS.get(status, f"{status} Error"),
            [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))],
        )
        return [raw]

    def _send(
        self, environ: dict[str, Any], phone_number_id: str, endpoint: str = "messages"
    ) -> tuple[dict[str, Any], int]:
        header = environ.get("HTTP_AUTHORIZATION", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else None
        account = self.state.account_for_token(token)
        if account is None:
            return error_body(190)
        if account.phone_number_id != phone_number_id:
            return not_found_body(phone_number_id)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            payload = json.loads(environ["wsgi.input"].read(length) if length else b"")
        except (ValueError, KeyError):
            payload = None
        if not isinstance(payload, dict):
            return error_body(100, details="A JSON body is required.")
        return handle_send(self.state, account, payload, endpoint)
