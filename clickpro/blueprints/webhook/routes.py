"""``GET /webhook`` (Meta's subscription handshake) and ``POST /webhook`` (deliveries).

The POST reads the body with a size cap, checks its nesting depth, verifies the
signature, stores the raw body and hands the id to processing: no JSON parsing, no ORM
objects. On PostgreSQL with a worker queue, concurrent acks of a process share one
multi-row INSERT and one Redis round trip (``services.webhook.committer``); each is
answered only after its row is committed. It is normally answered by the WSGI shortcut in ``fastpath`` (same code,
without Flask's per-request machinery); this view serves it otherwise. Public by
design: Meta authenticates with the signature, not a session; CSRF does not apply.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request
from flask.blueprints import BlueprintSetupState

from clickpro.blueprints.webhook import fastpath
from clickpro.extensions import csrf
from clickpro.services.webhook import ingest as webhook_ingest

bp = Blueprint("webhook", __name__, template_folder="templates")
csrf.exempt(bp)


@bp.record_once
def _install_fastpath(state: BlueprintSetupState) -> None:
    if isinstance(state.app, Flask):  # always, once registered on the app
        fastpath.install(state.app)


_TEXT = "text/plain; charset=utf-8"


@bp.get("/webhook")
def verify() -> Response:
    """Answer ``hub.challenge`` to a subscription with a known verify token; else 403."""
    args = request.args
    if not webhook_ingest.subscription_ok(args.get("hub.mode"), args.get("hub.verify_token")):
        return Response("Forbidden", status=403, content_type=_TEXT)
    return Response(args.get("hub.challenge", "")[:256], status=200, content_type=_TEXT)


@bp.post("/webhook")
def receive() -> Response:
    """Read capped, verify, store, acknowledge; processing errors never reach Meta as a 500."""
    status = fastpath.receive(
        request.stream, request.content_length, request.headers.get("X-Hub-Signature-256")
    )
    return Response(fastpath.body_for(status), status=status, content_type=_TEXT)
