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
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db, rowcount
from clickpro.models import ApiToken, Client
from clickpro.models.base import utcnow
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.tenancy import id_in_range

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
        raise ApiTokenError(_("Dê um nome ao token."))
    if len(name) > NAME_MAX:
        raise ApiTokenError(
            _("Nome longo demais (máximo %(name_max)s caracteres).", name_max=NAME_MAX)
        )
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
    audit_record(Action.API_TOKEN_CREATED, token, client_id=client_id, name=name)
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
    if not id_in_range(ApiToken, token_id):
        return False
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
    if rowcount(result):
        audit_record(Action.API_TOKEN_REVOKED, ("api_tokens", token_id), client_id=client_id)
    return bool(rowcount(result))


def revoke_tokens_created_by(
    user_id: int, *, client_id: int | None = None, commit: bool = True
) -> int:
    """Revoke the active tokens ``user_id`` created (in ``client_id``, or everywhere):
    a member who leaves (deactivated or removed) must not keep API access through them.
    Returns how many were revoked."""
    conditions = [ApiToken.created_by_id == user_id, ApiToken.revoked_at.is_(None)]
    if client_id is not None:
        conditions.append(ApiToken.client_id == client_id)
    result = db.session.execute(
        sa.update(ApiToken)
        .where(*conditions)
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if commit:
        db.session.commit()
    return int(rowcount(result) or 0)


def count_active_created_by(client_id: int, user_id: int) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(ApiToken.id)).where(
                ApiToken.client_id == client_id,
                ApiToken.created_by_id == user_id,
                ApiToken.revoked_at.is_(None),
            )
        )
        or 0
    )


def active_counts_by_creator(client_id: int) -> dict[int, int]:
    """Active tokens of the client per creating user (the members page shows them)."""
    stmt = (
        sa.select(ApiToken.created_by_id, sa.func.count(ApiToken.id))
        .where(
            ApiToken.client_id == client_id,
            ApiToken.revoked_at.is_(None),
            ApiToken.created_by_id.is_not(None),
        )
        .group_by(ApiToken.created_by_id)
    )
    return {
        int(user_id): int(count)
        for user_id, count in db.session.execute(stmt)
        if user_id is not None  # the query already leaves them out
    }


def client_by_slug(slug: str) -> Client | None:
    return db.session.scalar(sa.select(Client).where(Client.slug == slug))
