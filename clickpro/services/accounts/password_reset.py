"""The "Esqueci minha senha" flow: a signed, single-use link valid ``PASSWORD_RESET_MINUTES``.

The request only enqueues a job with the typed e-mail, whether it has an account or
not, so the page's answer and its timing are the same for both (no e-mail enumeration).
The job looks the account up, stores the SHA-256 of a new token and mails the link; an
unknown or deactivated e-mail gets nothing. Using the link sets the password once (one
conditional UPDATE consumes the token), ends every session of the account and kills the
account's other open links.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import PasswordResetToken, User
from clickpro.models.base import utcnow
from clickpro.services.accounts import tokens
from clickpro.services.accounts.service import (
    find_user,
    normalize_email,
    set_new_password,
    validate_password,
)
from clickpro.services.mail import send_mail
from clickpro.services.mail.queue import enqueue_mail

LINK_PATH = "/reset-password/"  # the auth blueprint's reset_password route


class ResetLinkInvalid(ServiceError):
    """Unknown, tampered with, used or expired: one answer for all."""

    code = "reset_link_invalid"
    http_status = 404

    def __init__(self) -> None:
        super().__init__(
            _("Este link de redefinição de senha é inválido ou expirou. Peça um novo.")
        )


def request_reset(email: str, *, link_base: str, locale: str | None) -> None:
    """Queue the reset mail for ``email`` (the job decides whether there is anyone)."""
    enqueue_mail("mail.send_password_reset", normalize_email(email)[:254], link_base, locale)


def send_reset_mail(email: str, link_base: str, locale: str | None) -> str:
    """The mail job's body: a new link for an active account, nothing otherwise."""
    user = find_user(email)
    if user is None or not user.is_active:
        return "skipped"
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    signed, digest = tokens.new_token(tokens.PASSWORD_RESET)
    db.session.add(
        PasswordResetToken(
            user_id=user.id, token_sha256=digest, expires_at=utcnow() + timedelta(minutes=minutes)
        )
    )
    db.session.commit()
    return send_mail(
        user.email,
        "password_reset",
        user.locale or locale,
        link=link_base.rstrip("/") + LINK_PATH + signed,
        name=user.name,
        minutes=minutes,
    )


def _usable(digest: str, now):
    return sa.and_(
        PasswordResetToken.token_sha256 == digest,
        PasswordResetToken.used_at.is_(None),
        PasswordResetToken.expires_at > now,
    )


def link_user(signed: str) -> User | None:
    """The active account a still-usable link stands for (the form is shown), else None."""
    digest = tokens.link_hash(signed, tokens.PASSWORD_RESET)
    if digest is None:
        return None
    return db.session.scalar(
        sa.select(User)
        .join(PasswordResetToken, PasswordResetToken.user_id == User.id)
        .where(_usable(digest, utcnow()), User.is_active.is_(True))
    )


def reset_password(signed: str, password: str) -> User:
    """Set ``password`` through the link, once. A refused password keeps the link."""
    validate_password(password)
    digest = tokens.link_hash(signed, tokens.PASSWORD_RESET)
    if digest is None:
        raise ResetLinkInvalid()
    used = db.session.execute(
        sa.update(PasswordResetToken)
        .where(_usable(digest, utcnow()))
        .values(used_at=utcnow())
        .returning(PasswordResetToken.user_id)
        .execution_options(synchronize_session=False)
    ).first()
    user = db.session.get(User, used[0]) if used is not None else None
    if user is None or not user.is_active:
        db.session.rollback()
        raise ResetLinkInvalid()
    set_new_password(user, password)  # commits the consumed token with the password
    return user
