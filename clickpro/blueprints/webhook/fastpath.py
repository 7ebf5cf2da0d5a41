"""The ack of ``POST /webhook``, shared by the Flask view and a WSGI shortcut.

Status webhooks arrive at ~3× the send rate, so the ack is the hottest request of the
platform. :class:`WebhookFastPath` answers ``POST /webhook`` before Flask's request
machinery (routing, sessions, identity, CSRF, Babel, after-request hooks — none of which
a signed server-to-server call needs). The common delivery — signed with the platform's
secret, group-committed — needs no app context either (the committer pushes one per
committed batch for its hand-off); any other (a client's own app, a refusal to decide
with the database, inline processing) runs exactly the same :func:`acknowledge` as the
Flask view, inside a plain app context. The view still serves the endpoint when the
shortcut is off (``WEBHOOK_FASTPATH = False``).

Limits come first, before any secret lookup: the body is read with a cap (Content-Length
or chunked alike, see :func:`~clickpro.services.webhook.limits.read_capped`); the global
secret decides with one HMAC when it can, and the JSON nesting depth is checked without
parsing before any client secret is looked up (see ``ingest.verify_delivery``).

A 200 has an empty body (Meta reads only the status): gunicorn then writes the response
in one ``send`` instead of two (headers, then body).
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable, Iterable
from typing import IO

from flask import Flask, current_app

from clickpro import metrics
from clickpro.services.webhook import ingest as webhook_ingest
from clickpro.services.webhook.limits import BodyTooLarge, read_capped
from clickpro.services.webhook.signer import PLATFORM, platform_signed
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
    200: b"",
    400: b"Bad request",
    413: b"Request too large",
    503: b"Try again",
}


def acknowledge(raw: bytes, signature: str | None) -> int:
    """Limit, verify, store, hand off; the HTTP status for Meta (in an app context).

    On PostgreSQL with a worker queue the row goes through the group committer (one
    multi-row INSERT and one Redis round trip per batch of concurrent acks; 503 when its
    batch could not be committed); otherwise one INSERT and one hand-off per delivery.
    """
    signer = webhook_ingest.verify_delivery(raw, signature)
    if isinstance(signer, int):
        return signer
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    inline = processes_inline(app)
    if not inline and webhook_ingest.groups_commits(app):
        return _store_grouped(app, raw, signer)
    event_id = webhook_ingest.store_event(raw, signer=signer, claimed=inline)
    if event_id is not None:
        dispatch(event_id, inline=inline)
    return 200


def acknowledge_platform(app: Flask, raw: bytes, signature: str | None) -> int | None:
    """:func:`acknowledge` of the common delivery, without an app context.

    The delivery is the platform's (one HMAC) and group-committed: checked (depth),
    stored before the 200, handed off by the committer. None when it is not that case —
    another signer, inline processing, no group commit: :func:`acknowledge` decides
    (same checks, in the same order, for every delivery).
    """
    if processes_inline(app) or not webhook_ingest.groups_commits(app):
        return None
    if not platform_signed(raw, signature, app.config):
        return None
    if not webhook_ingest.body_limits_ok(raw, app.config):
        return 400
    return _store_grouped(app, raw, PLATFORM)


def _store_grouped(app: Flask, raw: bytes, signer: str) -> int:
    try:
        webhook_ingest.store_grouped(raw, signer=signer, after_commit=dispatch_many, app=app)
    except Exception:  # not committed: Meta redelivers, the body hash dedupes it
        log.exception("webhook ack: the batch could not be stored")
        return 503
    return 200


def receive(
    stream: IO[bytes], length: int | None, signature: str | None, app: Flask | None = None
) -> int:
    """Read the body with the size cap, then acknowledge it: :func:`acknowledge_platform`
    when it can, else :func:`acknowledge`. ``app`` when called outside an app context
    (the middleware): a context is pushed only for a delivery the lean path leaves."""
    in_context = app is None
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        raw = read_capped(stream, webhook_ingest.max_body_bytes(app.config), length)
    except BodyTooLarge:
        status = 413
    else:
        lean = acknowledge_platform(app, raw, signature)
        if lean is not None:
            status = lean
        else:
            # A request of its own, as Flask would give it: its own context and session.
            with contextlib.nullcontext() if in_context else app.app_context():
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
            signature = environ.get("HTTP_X_HUB_SIGNATURE_256")
            status = receive(stream, size, signature, self.app)
        body = body_for(status)
        start_response(_REASONS[status], [*_TEXT, ("Content-Length", str(len(body)))])
        return [body]


def install(app: Flask) -> None:
    app.wsgi_app = WebhookFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
