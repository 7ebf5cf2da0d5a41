"""Users, clients (tenants) and the memberships that join them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from clickpro.models.base import JSONType, Model, TimestampMixin, UTCDateTime, utcnow
from clickpro.offload import off_hub


def password_hash_method() -> str:
    """werkzeug's default (scrypt, 32 MiB, ~0.15 s a hash) everywhere except under TESTING.

    The test suite creates and logs in thousands of users; a test user's hash protects
    nothing, so ``PASSWORD_HASH_METHOD`` may pick cheaper parameters there. Production
    and development ignore the setting on purpose: it cannot weaken real passwords.
    """
    if has_app_context() and current_app.testing:
        return str(current_app.config["PASSWORD_HASH_METHOD"])
    return "scrypt"


class Role(StrEnum):
    SUPER_ADMIN = "SUPER_ADMIN"
    CLIENT_ADMIN = "CLIENT_ADMIN"
    CLIENT_USER = "CLIENT_USER"


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    is_super_admin: Mapped[bool] = mapped_column(default=False, nullable=False)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    failed_logins: Mapped[int] = mapped_column(default=0, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    # Part of the id kept in the session cookie (``get_id``): bumping it (logout, password
    # change, deactivation) makes every cookie issued before stop working, server-side.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0", nullable=False)
    # Two-factor sign-in (clickpro.services.accounts.two_factor): the TOTP secret
    # Fernet-encrypted, when it was confirmed, and the last time step accepted (a code is
    # never accepted twice). Recovery codes are rows of ``two_factor_recovery_codes``.
    totp_secret_enc: Mapped[str | None] = mapped_column(sa.Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_counter: Mapped[int | None] = mapped_column(sa.BigInteger)

    memberships: Mapped[list[ClientMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        # Off the gevent hub: a scrypt hash must not stall every socket (clickpro.offload).
        self.password_hash = off_hub(generate_password_hash, password, password_hash_method())
        self.end_sessions()

    def end_sessions(self) -> None:
        """Invalidate every session cookie of this user (they carry the old version)."""
        self.session_version = (self.session_version or 0) + 1

    def get_id(self) -> str:
        """``"<id>:<session_version>"``: Flask-Login stores this in the session."""
        return f"{self.id}:{self.session_version or 0}"

    def check_password(self, password: str) -> bool:
        return off_hub(check_password_hash, self.password_hash, password)

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret_enc)

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Client(TimestampMixin, Model):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    timezone: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, default="America/Sao_Paulo"
    )
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    ai_enabled: Mapped[bool] = mapped_column(default=False, nullable=False)
    # Small per-client preferences (stop keywords, remembered import mapping, ...).
    settings: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)

    members: Mapped[list[ClientMember]] = relationship(
        back_populates="client", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Client {self.id} {self.slug}>"


class ClientMember(TimestampMixin, Model):
    __tablename__ = "client_members"
    __table_args__ = (sa.UniqueConstraint("client_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True, nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=Role.CLIENT_USER)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    # The agent marked themselves away: no automatic assignment while set.
    away_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last sign of life from the agent's inbox (Socket.IO connect / heartbeat): "online"
    # for least-busy routing means seen within a few minutes.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")

    @property
    def is_admin(self) -> bool:
        return self.role == Role.CLIENT_ADMIN


class MemberInvitation(TimestampMixin, Model):
    """An invitation to join ``client`` with ``role``, waiting for the invitee to accept.

    Adding an e-mail on the members page never moves or attaches an existing account by
    itself: it creates one of these, shown to the invitee after sign-in. Only the SHA-256
    of the token is stored, so e-mailed links (signed with it) can be added on top.
    A row is pending while ``accepted_at``, ``declined_at`` and ``revoked_at`` are NULL
    and ``expires_at`` is in the future.
    """

    __tablename__ = "member_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True, nullable=False
    )
    email: Mapped[str] = mapped_column(sa.String(254), index=True, nullable=False)
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=Role.CLIENT_USER)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()
    invited_by: Mapped[User | None] = relationship()

    def is_pending(self, now: datetime | None = None) -> bool:
        return (
            self.accepted_at is None
            and self.declined_at is None
            and self.revoked_at is None
            and self.expires_at > (now or utcnow())
        )


class PasswordResetToken(Model):
    """One "Esqueci minha senha" link: only the SHA-256 of its token is stored.

    Usable once (``used_at``) until ``expires_at``; setting a new password by any means
    marks every open token of the user used.
    """

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
