"""Users, clients (tenants) and the memberships that join them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from clickpro.models.base import JSONType, Model, TimestampMixin, UTCDateTime, utcnow


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

    memberships: Mapped[list[ClientMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

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

    client: Mapped[Client] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")

    @property
    def is_admin(self) -> bool:
        return self.role == Role.CLIENT_ADMIN
