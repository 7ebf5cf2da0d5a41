from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, jsonify

from clickpro.extensions import db, redis_connection
from clickpro.models.base import utcnow
from clickpro.services.webhook import ingest

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    checks = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, never crash the probe
        checks["database"] = f"error: {type(exc).__name__}"
        db.session.rollback()
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    details = _webhook_details() if checks["database"] == "ok" else {}
    return (
        jsonify(status="ok" if ok else "unavailable", checks=checks, details=details),
        200 if ok else 503,
    )


def _webhook_details() -> dict:
    """Counts an operator watches: dead-lettered events, changes dropped as foreign."""
    try:
        return {
            "webhook_dead_letters": ingest.dead_letter_count(),
            "webhook_dropped_changes_24h": ingest.dropped_changes_since(
                utcnow() - timedelta(hours=24)
            ),
        }
    except Exception as exc:  # report, never crash the probe
        db.session.rollback()
        return {"webhook": f"error: {type(exc).__name__}"}
