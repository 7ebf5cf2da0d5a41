"""Member invitations: adding an e-mail to a client asks that person first, by e-mail.

The members page never attaches an existing account to another client by itself (the
account may belong to someone else's business). It creates a :class:`MemberInvitation`
and e-mails a link (signed, single use, ``MEMBER_INVITATION_DAYS`` days):

* an e-mail without an account: the link opens a form where the invitee chooses a name
  and a password; the account and the membership are created together;
* an e-mail with an account: the link leads to sign-in, then to the invitation, which
  the invitee accepts or declines (it is also shown after any sign-in, on ``/invitations``).

The page answers the same way in both cases (nothing is created before the link is
used, and which mail to send is decided by the job). Only the SHA-256 of a link's token
is stored; the token itself is made by the mail job (never kept in the queue), so
resending replaces the hash at once (the old link dies) and the job issues a new one.
"""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db, rowcount
from clickpro.models import Client, ClientMember, MemberInvitation, Role, User
from clickpro.models.base import utcnow
from clickpro.services.accounts import tokens
from clickpro.services.accounts.service import (
    AccountError,
    find_user,
    membership_of,
    new_user,
    normalize_email,
    validate_password,
    validate_user_name,
)
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.mail import send_mail
from clickpro.services.mail.queue import enqueue_mail
from clickpro.tenancy import id_in_range

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LINK_PATH = "/invite/"  # the auth blueprint's invitation_link route


class InvitationLinkInvalid(ServiceError):
    """Unknown, tampered with, replaced, revoked, used or expired: one answer for all."""

    code = "invitation_link_invalid"
    http_status = 404

    def __init__(self) -> None:
        super().__init__(_("Este link de convite é inválido ou expirou. Peça um novo convite."))


def _pending(now=None):
    now = now or utcnow()
    return sa.and_(
        MemberInvitation.accepted_at.is_(None),
        MemberInvitation.declined_at.is_(None),
        MemberInvitation.revoked_at.is_(None),
        MemberInvitation.expires_at > now,
    )


def _expiry(now):
    return now + timedelta(days=int(current_app.config["MEMBER_INVITATION_DAYS"]))


def invite(
    client: Client,
    email: str,
    role: str,
    *,
    invited_by: User | None,
    link_base: str,
    locale: str | None = None,
) -> MemberInvitation | None:
    """Invite ``email`` to ``client`` as ``role`` and e-mail the link (a queued job).

    A user who is (or was) a member of this client is already on the members page, so
    for them nothing is hidden: an active member is refused, a deactivated one is
    reactivated (returns None). Anyone else gets a pending invitation, a previous pending
    one for the same e-mail being replaced (its link dies). ``link_base`` is the public
    base URL of the links; ``locale`` the language of the mail when the e-mail has no
    account (an account's own language wins).
    """
    if role not in (Role.CLIENT_ADMIN, Role.CLIENT_USER):
        raise AccountError(_("Papel inválido."))
    email = normalize_email(email)
    if len(email) > 254 or not EMAIL_RE.fullmatch(email):
        raise AccountError(_("E-mail inválido."))
    user = find_user(email)
    membership = membership_of(client.id, user.id) if user is not None else None
    if membership is not None:
        if membership.is_active:
            raise AccountError(_("Este usuário já é membro deste cliente."))
        membership.is_active = True
        membership.role = role
        db.session.commit()
        audit_record(Action.MEMBER_REACTIVATED, membership, client_id=client.id, email=email)
        return None
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
    invitation = MemberInvitation(
        client_id=client.id,
        email=email,
        role=role,
        invited_by_id=invited_by.id if invited_by is not None else None,
        token_sha256=tokens.unused_hash(),  # the mail job issues the link
        expires_at=_expiry(now),
    )
    db.session.add(invitation)
    db.session.commit()
    audit_record(Action.MEMBER_INVITED, invitation, client_id=client.id, email=email, role=role)
    enqueue_mail("mail.send_invitation", invitation.id, link_base, locale)
    return invitation


def resend(client_id: int, invitation_id: int, *, link_base: str, locale: str | None) -> bool:
    """A new link for a pending invitation (valid for the full period again); the old
    link stops working now, before the new mail leaves."""
    now = utcnow()
    result = db.session.execute(
        sa.update(MemberInvitation)
        .where(
            MemberInvitation.id == invitation_id,
            MemberInvitation.client_id == client_id,
            _pending(now),
        )
        .values(token_sha256=tokens.unused_hash(), expires_at=_expiry(now))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if not rowcount(result):
        return False
    enqueue_mail("mail.send_invitation", invitation_id, link_base, locale)
    return True


def send_invitation_mail(invitation_id: int, link_base: str, locale: str | None) -> str:
    """The mail job's body: issue the link of a still-pending invitation and send it.

    Which mail (create an account / sign in and accept) is decided here, at send time.
    Returns where the mail went, or ``"skipped"`` for an invitation no longer pending.
    """
    invitation = db.session.get(MemberInvitation, invitation_id)
    if invitation is None or not invitation.is_pending():
        return "skipped"
    signed, digest = tokens.new_token(tokens.INVITATION)
    invitation.token_sha256 = digest
    db.session.commit()
    user = find_user(invitation.email)
    inviter = invitation.invited_by
    return send_mail(
        invitation.email,
        "invitation_existing" if user is not None else "invitation_new",
        (user.locale if user is not None and user.locale else None) or locale,
        link=link_base.rstrip("/") + LINK_PATH + signed,
        client_name=invitation.client.name,
        inviter_name=inviter.name if inviter is not None else "",
        is_admin_role=invitation.role == Role.CLIENT_ADMIN,
        expires_at=invitation.expires_at,
        email=invitation.email,
    )


def by_link(signed: str) -> MemberInvitation | None:
    """The pending invitation a link stands for (from an active client), else None."""
    digest = tokens.link_hash(signed, tokens.INVITATION)
    if digest is None:
        return None
    return db.session.scalar(
        sa.select(MemberInvitation)
        .join(Client, Client.id == MemberInvitation.client_id)
        .where(MemberInvitation.token_sha256 == digest, Client.is_active.is_(True), _pending())
    )


def accept_with_new_account(signed: str, name: str, password: str) -> ClientMember:
    """The invitee of an e-mail without an account: create it and join, in one commit.

    The invitation is consumed by a conditional UPDATE (two tabs cannot both succeed);
    the name and password are checked before, so a refused password keeps the link.
    """
    name = validate_user_name(name)
    validate_password(password)
    digest = tokens.link_hash(signed, tokens.INVITATION)
    if digest is None:
        raise InvitationLinkInvalid()
    now = utcnow()
    closed = db.session.execute(
        sa.update(MemberInvitation)
        .where(MemberInvitation.token_sha256 == digest, _pending(now))
        .values(accepted_at=now)
        .returning(MemberInvitation.id)
        .execution_options(synchronize_session=False)
    ).first()
    if closed is None:
        db.session.rollback()
        raise InvitationLinkInvalid()
    invitation = db.session.get(MemberInvitation, closed[0], populate_existing=True)
    assert invitation is not None
    if find_user(invitation.email) is not None or not invitation.client.is_active:
        db.session.rollback()  # an account appeared meanwhile: sign in and accept instead
        raise InvitationLinkInvalid()
    user = new_user(invitation.email, password, name=name)
    membership = ClientMember(client_id=invitation.client_id, user=user, role=invitation.role)
    db.session.add(membership)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise InvitationLinkInvalid() from None
    return membership


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
    """An admin withdraws a pending invitation of their client (its link dies)."""
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
