"""Per-client API tokens: create (shown once), authenticate, revoke.

A token is ``cpk_`` + 43 URL-safe characters (256 bits); only its SHA-256 is stored, so
a database leak does not leak usable tokens. The prefix makes leaked tokens easy to
recognise (secret scanners) and to tell apart in the panel.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import ApiToken, Client
from clickpro.models.base import utcnow

PREFIX = "cpk_"
NAME_MAX = 120
# last_used_at is written at most this often per token (no write on every request).
TOUCH_EVERY = timedelta(minutes=1)


class ApiTokenError(ServiceError, ValueError):
    """A refused token operation; the message is pt_BR."""

    field = "name"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(client_id: int, name: str, user_id: int | None = None) -> tuple[ApiToken, str]:
    """Create a token; returns (row, the plaintext token — shown once, never stored)."""
    name = (name or "").strip()
    if not name:
        raise ApiTokenError("Dê um nome ao token.")
    if len(name) > NAME_MAX:
        raise ApiTokenError(f"Nome longo demais (máximo {NAME_MAX} caracteres).")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        client_id=client_id,
        name=name,
        token_sha256=hash_token(raw),
        token_prefix=raw[:12],
        created_by_id=user_id,
    )
    db.session.add(token)
    db.session.commit()
    return token, raw


def authenticate(raw: str | None) -> ApiToken | None:
    """The active token for ``raw`` whose client is active, or None."""
    raw = (raw or "").strip()
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(
        sa.select(ApiToken)
        .join(Client, Client.id == ApiToken.client_id)
        .where(
            ApiToken.token_sha256 == hash_token(raw),
            ApiToken.revoked_at.is_(None),
            Client.is_active.is_(True),
        )
    )
    if token is not None:
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            db.session.execute(
                sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
            )
            db.session.commit()
    return token


def list_tokens(client_id: int) -> list[ApiToken]:
    stmt = (
        sa.select(ApiToken)
        .where(ApiToken.client_id == client_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
    )
    return list(db.session.scalars(stmt))


def revoke_token(client_id: int, token_id: int) -> bool:
    """Revoke the client's token; False when it is not the client's (or already revoked)."""
    result = db.session.execute(
        sa.update(ApiToken)
        .where(
            ApiToken.id == token_id,
            ApiToken.client_id == client_id,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    db.session.commit()
    return bool(result.rowcount)


def client_by_slug(slug: str) -> Client | None:
    return db.session.scalar(sa.select(Client).where(Client.slug == slug))
