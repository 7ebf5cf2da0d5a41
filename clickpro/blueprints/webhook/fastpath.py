"""The ack of ``POST /webhook``, shared by the Flask view and a WSGI shortcut.

Status webhooks arrive at ~3× the send rate, so the ack is the hottest request of the
platform. :class:`WebhookFastPath` answers ``POST /webhook`` before Flask's request
machinery (routing, sessions, identity, CSRF, Babel, after-request hooks — none of which
a signed server-to-server call needs), inside a plain app context. It runs exactly the
same :func:`acknowledge` as the Flask view, which still serves the endpoint when the
shortcut is off (``WEBHOOK_FASTPATH = False``) or the request has no Content-Length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask
from flask.globals import _cv_app

from clickpro.services.webhook import ingest as webhook_ingest
from clickpro.tasks.webhooks import dispatch, processes_inline

PATH = "/webhook"
MAX_BODY = 4 * 1024 * 1024  # Meta's deliveries are a few KB
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
_REASONS = {200: "200 OK", 403: "403 FORBIDDEN", 413: "413 REQUEST ENTITY TOO LARGE"}


def acknowledge(raw: bytes, signature: str | None) -> int:
    """Verify, store (one INSERT), hand off (one enqueue); the HTTP status for Meta."""
    if not webhook_ingest.signature_ok(raw, signature):
        return 403
    inline = processes_inline()
    event_id = webhook_ingest.store_event(raw, claimed=inline)
    if event_id is not None:
        dispatch(event_id, inline=inline)
    return 200


def body_for(status: int) -> bytes:
    return b"EVENT_RECEIVED" if status == 200 else b"Forbidden"


class WebhookFastPath:
    """WSGI middleware: ``POST /webhook`` with a Content-Length skips the Flask stack."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH")
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or environ.get("PATH_INFO") != PATH
            or not length
            or not self.app.config.get("WEBHOOK_FASTPATH", True)
        ):
            return self.wsgi_app(environ, start_response)
        try:
            size = int(length)
        except ValueError:
            return self.wsgi_app(environ, start_response)
        if size > MAX_BODY:
            status = 413
        else:
            raw = environ["wsgi.input"].read(size)
            status = self._acknowledge(raw, environ.get("HTTP_X_HUB_SIGNATURE_256"))
        body = b"Request too large" if status == 413 else body_for(status)
        start_response(_REASONS[status], [*_TEXT, ("Content-Length", str(len(body)))])
        return [body]

    def _acknowledge(self, raw: bytes, signature: str | None) -> int:
        # Like Flask: reuse an active context of this app (tests), else push one.
        active = _cv_app.get(None)
        if active is not None and active.app is self.app:
            return acknowledge(raw, signature)
        with self.app.app_context():
            return acknowledge(raw, signature)


def install(app: Flask) -> None:
    app.wsgi_app = WebhookFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
