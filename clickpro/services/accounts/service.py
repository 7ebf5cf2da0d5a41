"""Users, clients and memberships: login with lockout, creation, roles."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import Client, ClientMember, PasswordResetToken, Role, User
from clickpro.models.base import utcnow
from clickpro.services.accounts.passwords import password_problem
from clickpro.services.accounts.validation import validate_name, validate_slug, validate_timezone
from clickpro.services.api.tokens import revoke_tokens_created_by
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record


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
    """Check the password; ``LOGIN_MAX_FAILURES`` failures lock the account for a while.

    The counter and the lock are read and written by one conditional ``UPDATE`` each
    (never read-modify-write in Python), so parallel attempts are all counted and a right
    password is refused once the lock is set, even by a burst racing it. A locked account
    refuses even the right password until the lock expires. Every failure raises the
    same ``LoginFailed`` so the answer never reveals which emails exist (the password is
    hashed in every case, locked or unknown, so the timing does not either).
    """
    row = db.session.execute(
        sa.select(User.id, User.password_hash).where(User.email == normalize_email(email))
    ).first()
    if row is None:
        User(password_hash=_DUMMY_HASH()).check_password(password or "")
        raise LoginFailed()
    user_id, password_hash = row
    right = User(password_hash=password_hash).check_password(password or "")
    db.session.rollback()  # no snapshot or lock held during the slow hash check
    now = utcnow()
    if not right:
        _count_failure(user_id, now)
        raise LoginFailed()
    signed_in = db.session.execute(
        sa.update(User)
        .where(User.id == user_id, User.is_active.is_(True), _not_locked(now))
        .values(failed_logins=0, locked_until=None, last_login_at=now)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    if signed_in is None:
        raise LoginFailed()
    user = db.session.get(User, user_id, populate_existing=True)
    assert user is not None
    return user


def _not_locked(now):
    return sa.or_(User.locked_until.is_(None), User.locked_until <= now)


def _count_failure(user_id: int, now) -> None:
    """``failed_logins + 1`` in one statement; the one that reaches the limit locks.

    Failures while locked are not counted (the lock is not extended by an attacker).
    """
    limit = int(current_app.config["LOGIN_MAX_FAILURES"])
    until = now + timedelta(minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))
    reaches = User.failed_logins + 1 >= limit
    db.session.execute(
        sa.update(User)
        .where(User.id == user_id, _not_locked(now))
        .values(
            failed_logins=sa.case((reaches, 0), else_=User.failed_logins + 1),
            locked_until=sa.case(
                (reaches, sa.literal(until, type_=User.locked_until.type)),
                else_=User.locked_until,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


_dummy_hash_cache: list[str] = []


def _DUMMY_HASH() -> str:  # noqa: N802 - a lazily computed constant
    if not _dummy_hash_cache:
        user = User()
        user.set_password("not-a-real-password")
        _dummy_hash_cache.append(user.password_hash)
    return _dummy_hash_cache[0]


def validate_password(password: str) -> None:
    """The password rules (``passwords.password_problem``) as an ``AccountError``."""
    problem = password_problem(password)
    if problem is not None:
        raise AccountError(problem, field="password")


USER_NAME_MAX = 120  # users.name


def validate_user_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise AccountError(_("Informe seu nome."), field="name")
    if len(name) > USER_NAME_MAX:
        raise AccountError(
            _("O nome pode ter no máximo %(max)s caracteres.", max=USER_NAME_MAX), field="name"
        )
    return name


def new_user(email: str, password: str, *, name: str = "", is_super_admin: bool = False) -> User:
    """A checked, added, not yet committed user (the caller commits with what goes along)."""
    email = normalize_email(email)
    if len(email) > 254 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise AccountError(_("E-mail inválido."))
    validate_password(password)
    if find_user(email) is not None:
        raise AccountError(_("Já existe um usuário com este e-mail."))
    user = User(email=email, name=name or email.split("@")[0], is_super_admin=is_super_admin)
    user.set_password(password)
    db.session.add(user)
    return user


def create_user(email: str, password: str, *, name: str = "", is_super_admin: bool = False) -> User:
    user = new_user(email, password, name=name, is_super_admin=is_super_admin)
    db.session.commit()
    return user


def set_new_password(user: User, password: str) -> None:
    """Store a checked new password; every session of the user ends (``session_version``)
    and every open reset link dies. The caller re-signs the current session in if it
    should stay. Commits."""
    validate_password(password)
    user.set_password(password)
    user.failed_logins = 0
    user.locked_until = None
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


class WrongCurrentPassword(AccountError):
    code = "wrong_current_password"
    http_status = 400


def change_password(user: User, current: str, new: str) -> None:
    """On "Minha conta": the current password is required to set a new one."""
    if not user.check_password(current or ""):
        raise WrongCurrentPassword(_("A senha atual não confere."), field="current")
    if new == current:
        raise AccountError(_("A nova senha precisa ser diferente da atual."), field="password")
    set_new_password(user, new)


def rename(user: User, name: str) -> None:
    user.name = validate_user_name(name)
    db.session.commit()


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
    slug = slug[:60].strip("-")
    return slug if len(slug) >= 2 else f"cliente-{slug}".strip("-")  # validation.SLUG_MIN


def unique_slug(name: str) -> str:
    base = slugify(name)
    slug, n = base, 2
    while db.session.scalar(sa.select(Client.id).where(Client.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_client(
    name: str,
    admin_email: str,
    admin_password: str,
    *,
    timezone: str = "America/Sao_Paulo",
    slug: str | None = None,
) -> tuple[Client, bool]:
    """Create a client and its first CLIENT_ADMIN. Idempotent on (name, admin email).

    Name, time zone and an explicit ``slug`` obey ``validation`` (the admin's rules)."""
    name = (name or "").strip()
    if not name:
        raise AccountError(_("Informe o nome do cliente."))
    name = validate_name(name)
    timezone = validate_timezone(timezone)
    slug = validate_slug(slug) if slug else None
    existing = db.session.scalar(sa.select(Client).where(Client.slug == (slug or slugify(name))))
    if existing is not None and slug and existing.name != name:
        raise AccountError(_("O slug “%(slug)s” já é de outro cliente.", slug=slug))
    user = find_user(admin_email)
    if existing is not None and user is not None:
        membership = membership_of(existing.id, user.id)
        if membership is not None:
            return existing, False
    if user is None:
        user = create_user(admin_email, admin_password)
    client = existing or Client(name=name, slug=slug or unique_slug(name), timezone=timezone)
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
        raise AccountError(_("Papel inválido."))
    user = find_user(email)
    if user is None:
        if not password:
            raise AccountError(_("Informe uma senha inicial para o novo usuário."))
        user = create_user(email, password, name=name)
    membership = membership_of(client.id, user.id)
    if membership is not None:
        if membership.is_active:
            raise AccountError(_("Este usuário já é membro deste cliente."))
        membership.is_active = True
        membership.role = role
    else:
        membership = ClientMember(client_id=client.id, user_id=user.id, role=role)
        db.session.add(membership)
    db.session.commit()
    return membership


def _active_admins(client_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(ClientMember.id)).where(
                ClientMember.client_id == client_id,
                ClientMember.role == Role.CLIENT_ADMIN,
                ClientMember.is_active.is_(True),
            )
        )
        or 0
    )


def change_role(membership: ClientMember, role: str) -> None:
    if role not in (Role.CLIENT_ADMIN, Role.CLIENT_USER):
        raise AccountError(_("Papel inválido."))
    demoted = membership.role == Role.CLIENT_ADMIN and role != Role.CLIENT_ADMIN
    if demoted and _active_admins(membership.client_id) <= 1:
        raise AccountError(_("O cliente precisa de pelo menos um administrador."))
    membership.role = role
    db.session.commit()
    audit_record(Action.MEMBER_ROLE_CHANGED, membership, client_id=membership.client_id, role=role)


def set_member_active(membership: ClientMember, active: bool) -> None:
    removes_admin = not active and membership.role == Role.CLIENT_ADMIN and membership.is_active
    if removes_admin and _active_admins(membership.client_id) <= 1:
        raise AccountError(_("O cliente precisa de pelo menos um administrador."))
    membership.is_active = active
    if not active:
        _end_member_access(membership.client_id, membership.user_id)
    db.session.commit()
    audit_record(Action.MEMBER_REACTIVATED if active else Action.MEMBER_DEACTIVATED, membership,
                 client_id=membership.client_id, user_id=membership.user_id)  # fmt: skip


def _end_member_access(client_id: int, user_id: int) -> None:
    """A member who leaves a client: their cookies end and their API tokens die.

    The caller commits; the web layer also disconnects their open sockets
    (``clickpro.realtime.disconnect_user``).
    """
    end_sessions(user_id, commit=False)
    revoke_tokens_created_by(user_id, client_id=client_id, commit=False)


def end_sessions(user_id: int, *, commit: bool = True) -> None:
    """Every session cookie issued to ``user_id`` stops working (``session_version``
    is part of the id Flask-Login keeps in the cookie)."""
    db.session.execute(
        sa.update(User)
        .where(User.id == user_id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session="fetch")
    )
    if commit:
        db.session.commit()
