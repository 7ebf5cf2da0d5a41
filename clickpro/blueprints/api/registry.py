"""The /api/v1 blueprint and its route registry.

``@operation(...)`` records each route (path, method, models, status codes, summary) in
``OPERATIONS`` — the OpenAPI document is built from that list — and wraps the view:
token → rate limit → query/body validated with the pydantic models → optional
``Idempotency-Key`` → the view → the response serialised with its model. A view gets
``caller`` plus ``query``/``body`` (model instances) and the URL arguments, and returns
a model instance, ``(model, status)``, ``None`` (204) or a ready ``Response``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial, wraps

import sqlalchemy as sa
from flask import Blueprint, Response, request
from flask_babel import gettext as _
from pydantic import BaseModel

from clickpro.blueprints.api.auth import ApiError, Caller, authenticate, check_rate_limit
from clickpro.blueprints.errors import (
    error_body,
    invalid,
    parse_json_body,
    parse_model,
)
from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.services.api import idempotency

v1 = Blueprint("v1", __name__, url_prefix="/api/v1")

COMMON_ERRORS = (400, 401, 429)  # 400: e.g. a NUL byte anywhere (refused app-wide)
MAX_INT = 2**31 - 1  # ids are 32-bit on PostgreSQL (messages: 64-bit)
MAX_BIGINT = 2**63 - 1


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    idempotent: bool = False
    multipart: type[BaseModel] | None = None
    produces: str = "application/json"
    extra_statuses: dict[int, type[BaseModel]] = field(default_factory=dict)
    description: str = ""


OPERATIONS: list[Operation] = []


def operation(
    rule: str, method: str, *, summary: str, tag: str, **options
) -> Callable[[Callable], Callable]:
    def decorator(func: Callable) -> Callable:
        op = Operation(
            rule=rule,
            method=method.upper(),
            endpoint=func.__name__,
            summary=summary,
            tag=tag,
            description=(func.__doc__ or "").strip(),
            **options,
        )

        @wraps(func)
        def view(**path):
            return _run(op, func, path)

        v1.add_url_rule(rule, endpoint=func.__name__, view_func=view, methods=[op.method])
        OPERATIONS.append(op)
        return func

    return decorator


def _query(op: Operation) -> BaseModel | None:
    if op.query is None:
        return None
    return parse_model(op.query, {k: v for k, v in request.args.items()})


def _body(op: Operation) -> BaseModel | None:
    if op.body is None:
        return None
    return parse_json_body(op.body)


def _respond(op: Operation, result) -> Response:
    if isinstance(result, Response):
        return result
    status = op.status
    if isinstance(result, tuple):
        result, status = result
    if result is None:
        return Response(status=204)
    payload = result.model_dump(mode="json")
    return Response(
        json.dumps(payload, ensure_ascii=False), status=status, mimetype="application/json"
    )


def _run(op: Operation, func: Callable, path: dict) -> Response:
    caller: Caller = authenticate()
    check_rate_limit(caller)
    for name, value in path.items():
        limit = MAX_BIGINT if name.startswith("message") else MAX_INT
        if isinstance(value, int) and not 0 < value <= limit:
            raise not_found()
    query = _query(op)
    body = _body(op)
    kwargs = dict(path)
    if op.query is not None:
        kwargs["query"] = query
    if op.body is not None:
        kwargs["body"] = body
    key = request.headers.get("Idempotency-Key")
    if not (op.idempotent and key is not None):
        return _respond(op, func(caller, **kwargs))
    return _run_once(op, func, caller, key, kwargs)


def _run_once(op: Operation, func: Callable, caller: Caller, key: str, kwargs: dict) -> Response:
    fingerprint = idempotency.fingerprint(op.method, request.path, _raw_body(op))
    # InvalidKey (400), Mismatch (422), InProgress (409) are ServiceErrors: v1 answers them.
    claimed = idempotency.claim(caller.client_id, key, fingerprint)
    if isinstance(claimed, idempotency.StoredResponse):
        response = Response(
            claimed.body or None, status=claimed.status_code, mimetype="application/json"
        )
        response.headers["Idempotent-Replayed"] = "true"
        return response
    try:
        response = _respond(op, func(caller, **kwargs))
    except ServiceError as exc:
        if exc.http_status >= 500:
            idempotency.release(claimed)
        else:
            idempotency.complete(claimed, exc.http_status, json.dumps(error_payload(exc)))
        raise
    except BaseException:
        idempotency.release(claimed)
        raise
    if response.status_code >= 500:
        idempotency.release(claimed)
    else:
        idempotency.complete(claimed, response.status_code, response.get_data(as_text=True))
    return response


def _raw_body(op: Operation) -> bytes:
    """The request's bytes for the fingerprint (multipart: fields + each file's SHA-256)."""
    if op.multipart is None:
        return request.get_data()
    parts = [f"{k}={v}" for k, v in sorted(request.form.items(multi=True))]
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        digest = hashlib.sha256()
        for chunk in iter(partial(upload.stream.read, 65536), b""):
            digest.update(chunk)
        upload.stream.seek(0)
        parts.append(f"{name}:{upload.filename}:{digest.hexdigest()}")
    return "\n".join(parts).encode()


def error_payload(exc: ServiceError) -> dict:
    return error_body(exc)


def int_cursor(cursor: str | None) -> int | None:
    """The keyset cursors of this API are ids; anything else is a 422."""
    if cursor in (None, ""):
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise invalid({"cursor": [_("Cursor inválido: use o next_cursor da página anterior.")]})
    return int(cursor)


def id_desc_page(model, stmt: sa.Select, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One keyset page of ``stmt`` by ``model.id`` descending: (rows, next_cursor)."""
    after = int_cursor(cursor)
    if after is not None:
        stmt = stmt.where(model.id < after)
    rows = list(db.session.scalars(stmt.order_by(model.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more and rows else None)


def not_found(what: str = "Recurso", *, message: str | None = None) -> ApiError:
    """404 ``not_found``. Pass the whole sentence as ``message`` for a feminine noun
    ("Campanha não encontrada."): "%(what)s não encontrado" only agrees with masculine ones.
    """
    return ApiError(404, "not_found", message or _("%(what)s não encontrado.", what=what))
