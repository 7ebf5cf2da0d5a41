"""``GET /webhook`` (Meta's subscription handshake) and ``POST /webhook`` (deliveries).

The POST only verifies the signature, stores the raw body with one INSERT and hands
the id to processing: no JSON parsing (unless a client's own app secret is needed), no
ORM objects. It is normally answered by the WSGI shortcut in ``fastpath`` (same code,
without Flask's per-request machinery); this view serves it otherwise. Public by
design: Meta authenticates with the signature, not a session; CSRF does not apply.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from clickpro.blueprints.webhook import fastpath
from clickpro.extensions import csrf
from clickpro.services.webhook import ingest as webhook_ingest

bp = Blueprint("webhook", __name__, template_folder="templates")
csrf.exempt(bp)
bp.record_once(lambda state: fastpath.install(state.app))

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
    """Verify, store, acknowledge; processing errors never reach Meta as a 500."""
    status = fastpath.acknowledge(
        request.get_data(cache=False), request.headers.get("X-Hub-Signature-256")
    )
    return Response(fastpath.body_for(status), status=status, content_type=_TEXT)
