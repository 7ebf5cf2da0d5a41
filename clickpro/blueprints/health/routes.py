import sqlalchemy as sa
from flask import Blueprint, jsonify

from clickpro.extensions import db, redis_connection

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
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503
