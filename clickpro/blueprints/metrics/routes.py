"""``GET /metrics`` for Prometheus (see :mod:`clickpro.metrics`).

Public in the role matrix (a scraper has no session) and guarded here by a token:
``METRICS_TOKEN`` unset → 404 (the endpoint does not exist), a missing or wrong bearer
token → 401. The comparison is constant-time.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request

from clickpro import metrics
from clickpro.extensions import redis_connection
from clickpro.jobs import ALL_QUEUES

bp = Blueprint("metrics", __name__)


def _token_ok(expected: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@bp.get("/metrics")
def index() -> Response:
    expected = current_app.config["METRICS_TOKEN"]
    if not expected:
        abort(404)
    if not _token_ok(expected):
        return Response(
            "Unauthorized\n",
            status=401,
            content_type="text/plain; charset=utf-8",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body, content_type = metrics.render([metrics.QueueCollector(redis_connection(), ALL_QUEUES)])
    response = Response(body, status=200, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
