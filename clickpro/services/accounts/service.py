"""Users, clients and memberships: login with lockout, creation, roles."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import Client, ClientMember, Role, User
from clickpro.models.base import utcnow


class LoginFailed(ServiceError):
    """Same message whatever the cause, so it never tells whether an email exists."""

    code = "login_failed"
    http_status = 401


class AccountError(ServiceError, ValueError):
    pass


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def authenticate(email: str, password: str) -> User:
    """Check the password; after ``LOGIN_MAX_FAILURES`` failures lock the account.

    A locked account refuses even the right password until the lock expires. Every
    failure raises the same ``LoginFailed`` so the answer never reveals which emails exist.
    """
    user = find_user(email)
    now = utcnow()
    if user is None:
        # Spend the same time as a real check so timing does not reveal the email.
        User(password_hash=_DUMMY_HASH()).check_password(password or "")
        raise LoginFailed()
    if user.is_locked(now) or not user.is_active:
        raise LoginFailed()
    if not user.check_password(password or ""):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
        db.session.commit()
        raise LoginFailed()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.commit()
    return user


_dummy_hash_cache: list[str] = []


def _DUMMY_HASH() -> str:  # noqa: N802 - a lazily computed constant
    if not _dummy_hash_cache:
        user = User()
        user.set_password("not-a-real-password")
        _dummy_hash_cache.append(user.password_hash)
    return _dummy_hash_cache[0]


def validate_password(password: str) -> None:
    if len(password or "") < 8:
        raise AccountError("A senha precisa ter pelo menos 8 caracteres.")


def create_user(email: str, password: str, *, name: str = "", is_super_admin: bool = False) -> User:
    email = normalize_email(email)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise AccountError("E-mail inválido.")
    validate_password(password)
    if find_user(email) is not None:
        raise AccountError("Já existe um usuário com este e-mail.")
    user = User(email=email, name=name or email.split("@")[0], is_super_admin=is_super_admin)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def ensure_super_admin(email: str, password: str) -> tuple[User, bool]:
    """Create the super admin, or promote and reset an existing user. Idempotent."""
    user = find_user(email)
    if user is None:
        return create_user(email, password, is_super_admin=True), True
    validate_password(password)
    user.is_super_admin = True
    user.is_active = True
    user.set_password(password)
    db.session.commit()
    return user, False


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "cliente"


def unique_slug(name: str) -> str:
    base = slugify(name)
    slug, n = base, 2
    while db.session.scalar(sa.select(Client.id).where(Client.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_client(
    name: str, admin_email: str, admin_password: str, *, timezone: str = "America/Sao_Paulo"
) -> tuple[Client, bool]:
    """Create a client and its first CLIENT_ADMIN. Idempotent on (name, admin email)."""
    name = (name or "").strip()
    if not name:
        raise AccountError("Informe o nome do cliente.")
    existing = db.session.scalar(sa.select(Client).where(Client.slug == slugify(name)))
    user = find_user(admin_email)
    if existing is not None and user is not None:
        membership = membership_of(existing.id, user.id)
        if membership is not None:
            return existing, False
    if user is None:
        user = create_user(admin_email, admin_password)
    client = existing or Client(name=name, slug=unique_slug(name), timezone=timezone)
    db.session.add(client)
    db.session.flush()
    db.session.add(ClientMember(client_id=client.id, user_id=user.id, role=Role.CLIENT_ADMIN))
    db.session.commit()
    return client, True


def membership_of(client_id: int, user_id: int) -> ClientMember | None:
    return db.session.scalar(
        sa.select(ClientMember).where(
            ClientMember.client_id == client_id, ClientMember.user_id == user_id
        )
    )


def add_member(
    client: Client, email: str, role: str, *, name: str = "", password: str | None = None
) -> ClientMember:
    """Add a user (created when new, with ``password``) to ``client`` with ``role``."""
    if role not in (Role.CLIENT_ADMIN, Role.CLIENT_USER):
        raise AccountError("Papel inválido.")
    user = find_user(email)
    if user is None:
        if not password:
            raise AccountError("Informe uma senha inicial para o novo usuário.")
        user = create_user(email, password, name=name)
    membership = membership_of(client.id, user.id)
    if membership is not None:
        if membership.is_active:
            raise AccountError("Este usuário já é membro deste cliente.")
        membership.is_active = True
        membership.role = role
    else:
        membership = ClientMember(client_id=client.id, user_id=user.id, role=role)
        db.session.add(membership)
    db.session.commit()
    return membership


def _active_admins(client_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(ClientMember.id)).where(
            ClientMember.client_id == client_id,
            ClientMember.role == Role.CLIENT_ADMIN,
            ClientMember.is_active.is_(True),
        )
    )


def change_role(membership: ClientMember, role: str) -> None:
    if role not in (Role.CLIENT_ADMIN, Role.CLIENT_USER):
        raise AccountError("Papel inválido.")
    demoted = membership.role == Role.CLIENT_ADMIN and role != Role.CLIENT_ADMIN
    if demoted and _active_admins(membership.client_id) <= 1:
        raise AccountError("O cliente precisa de pelo menos um administrador.")
    membership.role = role
    db.session.commit()


def set_member_active(membership: ClientMember, active: bool) -> None:
    removes_admin = not active and membership.role == Role.CLIENT_ADMIN and membership.is_active
    if removes_admin and _active_admins(membership.client_id) <= 1:
        raise AccountError("O cliente precisa de pelo menos um administrador.")
    membership.is_active = active
    db.session.commit()
