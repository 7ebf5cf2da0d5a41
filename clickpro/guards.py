"""Every access guard in one module: login, client, role (Flask-Principal needs).

Needs loaded per request: ``RoleNeed(role in the client in use)``, ``ClientNeed(id)``,
and ``RoleNeed("SUPER_ADMIN")`` for platform operators. Role-gated pages answer 403;
rows of another client answer 404 (see ``clickpro.tenancy``).

On top of the per-view decorators, :func:`enforce_capabilities` runs before every request
and checks the matched endpoint against ``clickpro.permissions.ENDPOINTS`` (the role
matrix): the table is the single source of truth, the decorators a second line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial, wraps

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user
from flask_principal import Identity, Need, Permission, RoleNeed, UserNeed, identity_loaded

from clickpro.extensions import principal
from clickpro.models import Role
from clickpro.permissions import Access, Capability, can, requirement_for
from clickpro.services.accounts.invitations import pending_invitations_for
from clickpro.tenancy import get_current_client, get_current_membership

log = logging.getLogger(__name__)
ClientNeed = partial(Need, "client")

super_admin_permission = Permission(RoleNeed(Role.SUPER_ADMIN))
client_admin_permission = Permission(RoleNeed(Role.CLIENT_ADMIN))
client_member_permission = Permission(RoleNeed(Role.CLIENT_ADMIN), RoleNeed(Role.CLIENT_USER))


def init_guards(app: Flask) -> None:
    principal.init_app(app)

    @principal.identity_loader
    def _load_identity():
        if current_user.is_authenticated:
            return Identity(current_user.id, "session")
        return None

    identity_loaded.connect_via(app)(_on_identity_loaded)
    app.before_request(enforce_capabilities)


def enforce_capabilities():
    """The role matrix, before any view: 403 for what the member's role does not grant,
    login for anonymous visitors of the panel, 403 for an endpoint with no entry."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route matched: the 404/405 handlers answer
    requirement = requirement_for(endpoint, request.method)
    if requirement is None:
        log.error(
            "endpoint %s (%s) has no entry in clickpro/permissions.py", endpoint, request.method
        )
        abort(403)
    if requirement in (Access.PUBLIC, Access.API_TOKEN):
        return None
    if not current_user.is_authenticated:
        return _login_redirect()
    if requirement == Access.LOGIN:
        return None
    if requirement == Access.SUPER_ADMIN:
        if not current_user.is_super_admin:
            abort(404)
        return None
    if get_current_client() is None:
        return _no_client()
    if not can(Capability(requirement)):
        abort(403)
    return None


def _on_identity_loaded(sender, identity: Identity) -> None:
    if not current_user.is_authenticated:
        return
    identity.user = current_user
    identity.provides.add(UserNeed(current_user.id))
    if current_user.is_super_admin:
        identity.provides.add(RoleNeed(Role.SUPER_ADMIN))
    membership = get_current_membership()
    if membership is not None:
        identity.provides.add(RoleNeed(membership.role))
        identity.provides.add(ClientNeed(membership.client_id))


def _login_redirect():
    return redirect(url_for("auth.login", next=request.full_path))


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _login_redirect()
        return view(*args, **kwargs)

    return wrapped


def _no_client():
    """A signed-in user without a client in use: the operator goes to /admin/, an invitee
    to their invitations, anybody else gets 403."""
    if current_user.is_super_admin:
        return redirect("/admin/")
    if pending_invitations_for(current_user):
        return redirect(url_for("auth.invitations"))
    abort(403)


def client_required(view: Callable) -> Callable:
    """Logged in and a member of an active client (the one in use)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _login_redirect()
        client = get_current_client()
        if client is None:
            return _no_client()
        if not client_member_permission.can() or not Permission(ClientNeed(client.id)).can():
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: str) -> Callable:
    """A member of the client in use with one of ``roles`` (else 403)."""
    permission = Permission(*(RoleNeed(r) for r in roles))

    def decorator(view: Callable) -> Callable:
        @client_required
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not permission.can():
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = role_required(Role.CLIENT_ADMIN)


def is_client_admin() -> bool:
    membership = get_current_membership()
    return membership is not None and membership.role == Role.CLIENT_ADMIN


def super_admin_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _login_redirect()
        if not current_user.is_super_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped
