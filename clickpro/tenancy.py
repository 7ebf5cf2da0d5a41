"""Tenancy in one place: the client in use, scoped queries and owned-row lookups.

Every read or write of a tenant-owned row goes through here. A row of another client
is a 404, never a 403 that would leak that it exists.
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from flask import abort, g, session
from flask_login import current_user
from werkzeug.local import LocalProxy

from clickpro.extensions import db
from clickpro.models import Client, ClientMember
from clickpro.models.base import Model

M = TypeVar("M", bound=Model)
SESSION_KEY = "client_id"


def memberships_of(user) -> list[ClientMember]:
    """Active memberships of ``user`` in active clients, by client name."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    stmt = (
        sa.select(ClientMember)
        .join(Client, Client.id == ClientMember.client_id)
        .where(
            ClientMember.user_id == user.id,
            ClientMember.is_active.is_(True),
            Client.is_active.is_(True),
        )
        .order_by(Client.name)
    )
    return list(db.session.scalars(stmt))


def membership_in_use(user) -> ClientMember | None:
    """``user``'s active membership for the client the session names (else the first)."""
    memberships = memberships_of(user)
    wanted = session.get(SESSION_KEY)
    for membership in memberships:
        if membership.client_id == wanted:
            return membership
    if memberships:
        session[SESSION_KEY] = memberships[0].client_id
        return memberships[0]
    return None


def _resolve_membership() -> ClientMember | None:
    if "clickpro_membership" in g:
        return g.clickpro_membership
    chosen = membership_in_use(current_user)
    g.clickpro_membership = chosen
    return chosen


def get_current_membership() -> ClientMember | None:
    return _resolve_membership()


def get_current_client() -> Client | None:
    membership = _resolve_membership()
    return membership.client if membership else None


current_client: Client = LocalProxy(get_current_client)  # type: ignore[assignment]
current_membership: ClientMember = LocalProxy(get_current_membership)  # type: ignore[assignment]


def switch_client(client_id: int) -> ClientMember:
    """Make ``client_id`` the client in use for this session (404 if not a member)."""
    for membership in memberships_of(current_user):
        if membership.client_id == client_id:
            session[SESSION_KEY] = client_id
            g.clickpro_membership = membership
            return membership
    abort(404)


def require_client() -> Client:
    client = get_current_client()
    if client is None:
        abort(404)
    return client


def scoped(model: type[M], client_id: int | None = None) -> sa.Select:
    """``SELECT model WHERE client_id = <client in use>``."""
    cid = client_id if client_id is not None else require_client().id
    return sa.select(model).where(model.client_id == cid)  # type: ignore[attr-defined]


def get_owned(model: type[M], row_id, client_id: int | None = None) -> M | None:
    cid = client_id if client_id is not None else require_client().id
    try:
        row_id = int(row_id)
    except (TypeError, ValueError):
        return None
    if not id_in_range(model, row_id):
        return None  # cannot exist (and PostgreSQL would refuse the out-of-range literal)
    loaded = loaded_in_session(model, row_id)
    if loaded is not None:
        return loaded if loaded.client_id == cid else None  # type: ignore[attr-defined]
    # ``execute().scalar()`` is what ``session.scalar`` does; its overloads lose a TypeVar.
    return db.session.execute(
        sa.select(model).where(model.id == row_id, model.client_id == cid)  # type: ignore[attr-defined]
    ).scalar()


def loaded_in_session(model: type[M], row_id: int) -> M | None:
    """The row ``row_id`` of ``model`` when this session already holds it, fully loaded
    and not expired (else ``None``: the caller queries).

    A scoped ``SELECT`` of a row the session holds returns that same object without
    refreshing it (SQLAlchemy keeps the identity map's state), so skipping the query
    loses nothing but the round trip: an inbound message's follow-ups looked the same
    conversation, message and client up 2-4 times each (#24). Not-yet-flushed changes
    are not flushed here, as :meth:`Session.get` does not either."""
    key = db.session.identity_key(model, row_id)
    obj = db.session.identity_map.get(key)
    if obj is None:
        return None
    state = sa.inspect(obj)
    if not state.persistent or state.expired_attributes or "client_id" not in state.dict:
        return None
    return obj


def id_in_range(model, row_id: int) -> bool:
    """Whether ``row_id`` fits ``model``'s id column: an id beyond it cannot exist, and
    PostgreSQL refuses the out-of-range literal (a 500 instead of a 404)."""
    id_type = model.__table__.c.id.type
    return 0 < row_id <= (2**63 - 1 if isinstance(id_type, sa.BigInteger) else 2**31 - 1)


def get_owned_or_404(model: type[M], row_id, client_id: int | None = None) -> M:
    row = get_owned(model, row_id, client_id)
    if row is None:
        abort(404)
    return row
