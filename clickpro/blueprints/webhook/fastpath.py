"""The ack of ``POST /webhook``, shared by the Flask view and a WSGI shortcut.

Status webhooks arrive at ~3× the send rate, so the ack is the hottest request of the
platform. :class:`WebhookFastPath` answers ``POST /webhook`` before Flask's request
machinery (routing, sessions, identity, CSRF, Babel, after-request hooks — none of which
a signed server-to-server call needs), inside a plain app context. It runs exactly the
same :func:`receive` as the Flask view, which still serves the endpoint when the
shortcut is off (``WEBHOOK_FASTPATH = False``).

Limits come first, before any secret lookup: the body is read with a cap (Content-Length
or chunked alike, see :func:`~clickpro.services.webhook.limits.read_capped`); the global
secret decides with one HMAC when it can, and the JSON nesting depth is checked without
parsing before any client secret is looked up (see ``ingest.verify_delivery``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import IO

from flask import Flask

from clickpro import metrics
from clickpro.services.webhook import ingest as webhook_ingest
from clickpro.services.webhook.limits import BodyTooLarge, read_capped
from clickpro.tasks.webhooks import dispatch, dispatch_many, processes_inline

log = logging.getLogger(__name__)

PATH = "/webhook"
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
_REASONS = {
    200: "200 OK",
    400: "400 BAD REQUEST",
    403: "403 FORBIDDEN",
    413: "413 REQUEST ENTITY TOO LARGE",
    503: "503 SERVICE UNAVAILABLE",
}
_BODIES = {
    200: b"EVENT_RECEIVED",
    400: b"Bad request",
    413: b"Request too large",
    503: b"Try again",
}


def acknowledge(raw: bytes, signature: str | None) -> int:
    """Limit, verify, store, hand off; the HTTP status for Meta.

    On PostgreSQL with a worker queue the row goes through the group committer (one
    multi-row INSERT and one Redis round trip per batch of concurrent acks; 503 when its
    batch could not be committed); otherwise one INSERT and one hand-off per delivery.
    """
    signer = webhook_ingest.verify_delivery(raw, signature)
    if isinstance(signer, int):
        return signer
    inline = processes_inline()
    if not inline and webhook_ingest.groups_commits():
        try:
            webhook_ingest.store_grouped(raw, signer=signer, after_commit=dispatch_many)
        except Exception:  # not committed: Meta redelivers, the body hash dedupes it
            log.exception("webhook ack: the batch could not be stored")
            return 503
        return 200
    event_id = webhook_ingest.store_event(raw, signer=signer, claimed=inline)
    if event_id is not None:
        dispatch(event_id, inline=inline)
    return 200


def receive(stream: IO[bytes], length: int | None, signature: str | None) -> int:
    """Read the body with the size cap, then :func:`acknowledge` it."""
    try:
        raw = read_capped(stream, webhook_ingest.max_body_bytes(), length)
    except BodyTooLarge:
        status = 413
    else:
        status = acknowledge(raw, signature)
    metrics.webhook_ack(status)  # one increment: the ack's CPU budget is tiny (#24)
    return status


def body_for(status: int) -> bytes:
    return _BODIES.get(status, b"Forbidden")


class WebhookFastPath:
    """WSGI middleware: ``POST /webhook`` skips the Flask stack."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or environ.get("PATH_INFO") != PATH
            or not self.app.config["WEBHOOK_FASTPATH"]
        ):
            return self.wsgi_app(environ, start_response)
        length = environ.get("CONTENT_LENGTH")
        if length:
            try:
                size: int | None = int(length)
            except ValueError:
                size = -1
            stream = environ["wsgi.input"]
        elif environ.get("wsgi.input_terminated"):  # chunked: the server ends the stream
            size, stream = None, environ["wsgi.input"]
        else:  # no length, unterminated input: nothing can be read safely
            size, stream = 0, io.BytesIO()
        if size is not None and size < 0:
            status = 400
            metrics.webhook_ack(status)
        else:
            status = self._receive(stream, size, environ.get("HTTP_X_HUB_SIGNATURE_256"))
        body = body_for(status)
        start_response(_REASONS[status], [*_TEXT, ("Content-Length", str(len(body)))])
        return [body]

    def _receive(self, stream: IO[bytes], length: int | None, signature: str | None) -> int:
        # A request of its own, as Flask would give it: its own app context and session.
        with self.app.app_context():
            return receive(stream, length, signature)


def install(app: Flask) -> None:
    app.wsgi_app = WebhookFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
