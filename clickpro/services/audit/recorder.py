"""Writing audit entries: who (from the request, the API token or "system"), where, what."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_login import current_user

from clickpro.extensions import db
from clickpro.forwarding import UNKNOWN_PEER, client_address
from clickpro.models import ApiToken, AuditEntry, ClientMember, User
from clickpro.models.audit import SYSTEM_ACTOR
from clickpro.tenancy import get_current_client

log = logging.getLogger(__name__)
DETAIL_TEXT_MAX = 200
DETAIL_KEYS_MAX = 20

Target = Any  # a model row (table name + id), a (type, id) pair, a "type:id" text or None


def record(
    action: str,
    target: Target = None,
    *,
    client_id: int | None = None,
    actor: User | None = None,
    commit: bool = True,
    **details: Any,
) -> AuditEntry | None:
    """Store one entry; returns it (None if it could not be written: logged, not raised).

    ``client_id`` defaults to the API caller's client, else the client in use; ``actor``
    to the signed-in user (or the API token's creator), else "system".
    """
    try:
        entry = AuditEntry(action=str(action), details=_small(details))
        entry.target_type, entry.target_id = _target(target)
        _fill_context(entry, client_id, actor)
        db.session.add(entry)
        if commit:
            db.session.commit()
        else:
            db.session.flush()
        return entry
    except Exception:  # noqa: BLE001 - the action itself already happened
        log.exception("audit entry %s could not be written", action)
        if commit:
            db.session.rollback()
        return None


def record_sign_in_failure(email: str, **details: Any) -> AuditEntry | None:
    """A refused password: the account if it exists (its id), else the typed e-mail."""
    typed = (email or "").strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == typed)) if typed else None
    entry_details = {"email": (email or "")[:254], **details}
    return record("auth.sign_in_failed", user, actor=user, **entry_details)


def record_two_factor_failure(user: User) -> AuditEntry | None:
    """A wrong code after a right password (the account's client admins see it)."""
    return record("auth.two_factor_failed", user, actor=user)


def _home_client(user: User | None) -> int | None:
    """The client an account's own action (sign-in, 2FA) is filed under when no client
    is in use: its first active membership (None for a super admin without one)."""
    if user is None:
        return None
    return db.session.scalar(
        sa.select(ClientMember.client_id)
        .where(ClientMember.user_id == user.id, ClientMember.is_active.is_(True))
        .order_by(ClientMember.id)
        .limit(1)
    )


def _fill_context(entry: AuditEntry, client_id: int | None, actor: User | None) -> None:
    entry.client_id = client_id
    entry.actor_email = SYSTEM_ACTOR
    if not has_request_context():
        if actor is not None:
            entry.actor_user_id, entry.actor_email = actor.id, actor.email
            entry.client_id = entry.client_id or _home_client(actor)
        return
    entry.ip = visitor_address(request.environ)
    caller = g.get("api_caller")
    if caller is not None:  # /api/v1: the token's client; its creator acted
        token = db.session.get(ApiToken, caller.token_id)
        creator = (
            db.session.get(User, token.created_by_id) if token and token.created_by_id else None
        )
        entry.client_id = entry.client_id or caller.client_id
        entry.details = {**entry.details, "api_token_id": caller.token_id}
        actor = actor or creator
        if actor is None:
            entry.actor_email = f"api-token:{caller.token_id}"
    elif actor is None and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
        if entry.client_id is None:
            client = get_current_client()
            entry.client_id = client.id if client is not None else None
    if actor is not None:
        entry.actor_user_id, entry.actor_email = actor.id, actor.email
        if entry.client_id is None:  # an account's own action: filed under its client
            entry.client_id = _home_client(actor)


def visitor_address(environ: dict) -> str | None:
    """The visitor's address as the login throttle and the socket cap read it."""
    address = client_address(environ)
    return None if address == UNKNOWN_PEER else address[:45]


def _target(target: Target) -> tuple[str | None, str | None]:
    if target is None:
        return None, None
    if isinstance(target, tuple):
        kind, ident = target
        return str(kind)[:40], (None if ident is None else str(ident)[:64])
    if isinstance(target, str):
        kind, _sep, ident = target.partition(":")
        return kind[:40], (ident[:64] or None)
    table = getattr(target, "__tablename__", type(target).__name__.lower())
    ident = getattr(target, "id", None)
    return str(table)[:40], (None if ident is None else str(ident))


def _small(details: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe and bounded: an entry is a line of a log, not a copy of the data."""
    out: dict[str, Any] = {}
    for key, value in list(details.items())[:DETAIL_KEYS_MAX]:
        out[str(key)[:40]] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in list(value)[:DETAIL_KEYS_MAX]]
    if isinstance(value, dict):
        return _small(value)
    return str(value)[:DETAIL_TEXT_MAX]
