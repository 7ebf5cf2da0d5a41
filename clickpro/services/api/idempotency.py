"""``Idempotency-Key`` for API POSTs that create or send (Stripe's semantics).

1. ``claim`` inserts (client, key, fingerprint) and commits *before* the work runs; the
   unique constraint makes exactly one request the owner of a key.
2. The owner does the work, then ``complete`` stores the status and body; a failure
   (5xx, exception) ``release``\\ s the key so a retry may run it again.
3. A retry with the same key and the same request gets the stored answer (nothing runs
   twice); a concurrent duplicate waits a little for the owner, then gets ``InProgress``
   (409); the same key with a different request is ``Mismatch`` (422).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from clickpro.errors import ServiceError
from clickpro.extensions import db, rowcount
from clickpro.models import IdempotencyKey
from clickpro.models.base import utcnow

KEY_MAX = 255
POLL_S = 0.05


class IdempotencyError(ServiceError):
    """Base class; ``str()`` is the pt_BR message for the API client."""


class InvalidKey(IdempotencyError):
    code = "invalid_idempotency_key"
    http_status = 400


class InProgress(IdempotencyError):
    code = "idempotency_in_progress"
    http_status = 409


class Mismatch(IdempotencyError):
    code = "idempotency_key_reused"
    http_status = 422


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body or b""):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _find(client_id: int, key: str) -> IdempotencyKey | None:
    return db.session.scalar(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.client_id == client_id, IdempotencyKey.key == key
        )
    )


def claim(
    client_id: int, key: str, request_fingerprint: str, *, wait_s: float = 5.0
) -> int | StoredResponse:
    """Own ``key`` (returns the row id) or get the stored answer of the first request."""
    key = (key or "").strip()
    if not key or len(key) > KEY_MAX or not key.isprintable():
        raise InvalidKey(
            _("Idempotency-Key inválida (1 a %(key_max)s caracteres imprimíveis).", key_max=KEY_MAX)
        )
    row = IdempotencyKey(client_id=client_id, key=key, fingerprint=request_fingerprint)
    db.session.add(row)
    try:
        db.session.commit()
        return row.id
    except IntegrityError:
        db.session.rollback()
    deadline = time.monotonic() + wait_s
    while True:
        existing = _find(client_id, key)
        if existing is None:  # released by a failed owner meanwhile: try to own it
            return claim(client_id, key, request_fingerprint, wait_s=0)
        if existing.fingerprint != request_fingerprint:
            raise Mismatch(
                _(
                    "Esta Idempotency-Key já foi usada com outra requisição (corpo ou rota "
                    "diferentes). Use uma chave nova."
                )
            )
        if existing.status_code is not None:
            return StoredResponse(existing.status_code, existing.response_body or "")
        db.session.rollback()  # end the read transaction so the next poll sees commits
        if time.monotonic() >= deadline:
            raise InProgress(
                _(
                    "Uma requisição com esta Idempotency-Key ainda está em andamento. "
                    "Tente de novo em instantes."
                )
            )
        time.sleep(POLL_S)


# Fields that carry a secret shown once (the outbound webhook signing secret): the
# replay store keeps ``null`` instead, so a database dump or backup never holds them.
SECRET_FIELDS = frozenset({"secret", "token", "access_token", "app_secret", "api_key"})


def redact_secrets(body: str) -> str:
    """``body`` (JSON) with every :data:`SECRET_FIELDS` value replaced by ``null``."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return body

    def scrub(value, depth: int = 0):
        if depth > 20:
            return value
        if isinstance(value, dict):
            return {
                k: None if k in SECRET_FIELDS and v is not None else scrub(v, depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [scrub(v, depth + 1) for v in value]
        return value

    cleaned = scrub(data)
    if cleaned == data:
        return body
    return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"))


def complete(row_id: int, status_code: int, body: str) -> None:
    """Store the answer to replay; secrets in it are redacted (see :func:`redact_secrets`)."""
    db.session.rollback()  # whatever the view left uncommitted is not ours to commit
    db.session.execute(
        sa.update(IdempotencyKey)
        .where(IdempotencyKey.id == row_id)
        .values(status_code=status_code, response_body=redact_secrets(body), completed_at=utcnow())
    )
    db.session.commit()


def release(row_id: int) -> None:
    """Forget a key whose request failed, so that a retry runs it."""
    db.session.rollback()
    db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
    db.session.commit()


def purge_expired(max_age_s: float = 24 * 3600) -> int:
    """Forget keys older than ``max_age_s`` (clients retry within minutes, not days)."""
    cutoff = utcnow() - timedelta(seconds=max_age_s)
    result = db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    db.session.commit()
    return rowcount(result) or 0
