"""Member invitations: adding an e-mail to a client asks that person first.

The members page never attaches an existing account to another client by itself (the
account may belong to someone else's business). It creates a :class:`MemberInvitation`
that the invitee sees after signing in and accepts or declines. The page answers the
same way whether the e-mail already has an account or not: a new account is created
with the initial password (hashed in both cases, so the timing matches) and waits for
the same acceptance.

Only the SHA-256 of an invitation's token is stored; :func:`invite` returns the raw
token so an e-mailed link (a later feature) can carry it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from clickpro.extensions import db, rowcount
from clickpro.models import Client, ClientMember, MemberInvitation, Role, User
from clickpro.models.base import utcnow
from clickpro.services.accounts.service import (
    AccountError,
    create_user,
    find_user,
    membership_of,
    normalize_email,
    validate_password,
)
from clickpro.tenancy import id_in_range

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _pending(now=None):
    now = now or utcnow()
    return sa.and_(
        MemberInvitation.accepted_at.is_(None),
        MemberInvitation.declined_at.is_(None),
        MemberInvitation.revoked_at.is_(None),
        MemberInvitation.expires_at > now,
    )


def invite(
    client: Client,
    email: str,
    role: str,
    *,
    invited_by: User | None,
    name: str = "",
    password: str | None = None,
) -> tuple[MemberInvitation | None, str | None]:
    """Invite ``email`` to ``client`` as ``role``; returns (invitation, raw token).

    A user who is (or was) a member of this client is already on the members page, so
    for them nothing is hidden: an active member is refused, a deactivated one is
    reactivated (returns ``(None, None)``). Anyone else gets a pending invitation, a
    previous pending one for the same e-mail being replaced.
    """
    if role not in (Role.CLIENT_ADMIN, Role.CLIENT_USER):
        raise AccountError(_("Papel inválido."))
    email = normalize_email(email)
    if not EMAIL_RE.fullmatch(email):
        raise AccountError(_("E-mail inválido."))
    validate_password(password or "")
    user = find_user(email)
    membership = membership_of(client.id, user.id) if user is not None else None
    if membership is not None:
        if membership.is_active:
            raise AccountError(_("Este usuário já é membro deste cliente."))
        membership.is_active = True
        membership.role = role
        db.session.commit()
        return None, None
    if user is None:
        create_user(email, password or "", name=name)
    else:
        generate_password_hash(password or "")  # same cost as creating the account
    now = utcnow()
    db.session.execute(
        sa.update(MemberInvitation)
        .where(
            MemberInvitation.client_id == client.id,
            MemberInvitation.email == email,
            _pending(now),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    raw = secrets.token_urlsafe(32)
    invitation = MemberInvitation(
        client_id=client.id,
        email=email,
        role=role,
        invited_by_id=invited_by.id if invited_by is not None else None,
        token_sha256=hash_token(raw),
        expires_at=now + timedelta(days=int(current_app.config["MEMBER_INVITATION_DAYS"])),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation, raw


def pending_for_client(client_id: int) -> list[MemberInvitation]:
    stmt = (
        sa.select(MemberInvitation)
        .where(MemberInvitation.client_id == client_id, _pending())
        .order_by(MemberInvitation.created_at.desc())
    )
    return list(db.session.scalars(stmt))


def pending_invitations_for(user) -> list[MemberInvitation]:
    """Pending invitations addressed to ``user``'s e-mail, from active clients."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    stmt = (
        sa.select(MemberInvitation)
        .join(Client, Client.id == MemberInvitation.client_id)
        .where(
            MemberInvitation.email == normalize_email(user.email),
            Client.is_active.is_(True),
            _pending(),
        )
        .order_by(MemberInvitation.created_at)
    )
    return list(db.session.scalars(stmt))


def addressed_to(invitation_id: int, user: User) -> MemberInvitation | None:
    """The invitation if it was sent to ``user``'s e-mail (in any state), else None."""
    if not id_in_range(MemberInvitation, invitation_id):
        return None
    return db.session.scalar(
        sa.select(MemberInvitation).where(
            MemberInvitation.id == invitation_id,
            MemberInvitation.email == normalize_email(user.email),
        )
    )


def _close(invitation_id: int, user: User, column: str) -> MemberInvitation:
    """Mark the user's pending invitation accepted/declined in one conditional UPDATE
    (a double click or two tabs cannot accept twice)."""
    now = utcnow()
    closed = db.session.execute(
        sa.update(MemberInvitation)
        .where(
            MemberInvitation.id == invitation_id,
            MemberInvitation.email == normalize_email(user.email),
            _pending(now),
        )
        .values({column: now})
        .returning(MemberInvitation.id)
        .execution_options(synchronize_session=False)
    ).first()
    if closed is None:
        db.session.rollback()
        raise AccountError(_("Este convite não está mais disponível."))
    invitation = db.session.get(MemberInvitation, invitation_id, populate_existing=True)
    assert invitation is not None
    return invitation


def accept(invitation_id: int, user: User) -> ClientMember:
    """Join the inviting client with the invitation's role."""
    invitation = _close(invitation_id, user, "accepted_at")
    membership = membership_of(invitation.client_id, user.id)
    if membership is None:
        membership = ClientMember(
            client_id=invitation.client_id, user_id=user.id, role=invitation.role
        )
        db.session.add(membership)
    else:
        membership.is_active = True
        membership.role = invitation.role
    db.session.commit()
    return membership


def decline(invitation_id: int, user: User) -> None:
    _close(invitation_id, user, "declined_at")
    db.session.commit()


def revoke(client_id: int, invitation_id: int) -> bool:
    """An admin withdraws a pending invitation of their client."""
    result = db.session.execute(
        sa.update(MemberInvitation)
        .where(
            MemberInvitation.id == invitation_id,
            MemberInvitation.client_id == client_id,
            _pending(),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(rowcount(result))
