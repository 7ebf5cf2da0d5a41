"""Two-factor sign-in with TOTP (RFC 6238, pyotp) and one-time recovery codes.

* The secret is Fernet-encrypted (``clickpro.crypto``) in ``users.totp_secret_enc``; it is
  written only once the user has typed a valid code from the app (``enable``).
* A code is accepted within one 30 s step either side of the server's clock, and never
  twice: ``users.totp_last_counter`` is raised by one conditional ``UPDATE``, so a code
  seen by a shoulder-surfer, or two parallel requests with the same code, get one sign-in.
* Ten recovery codes (60 bits each) are shown once; only their SHA-256 (salted with the
  user id) is stored, and using one marks it used in one conditional ``UPDATE``.
* Super admins (``TWO_FACTOR_REQUIRED_FOR_SUPER_ADMIN``) and members of a client whose
  ``settings["require_two_factor"]`` is on must enroll (``required_for``).
"""

from __future__ import annotations

import hashlib
import io
import secrets
import time
from datetime import UTC, datetime

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from clickpro.crypto import decrypt, encrypt
from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import Client, ClientMember, RecoveryCode, User
from clickpro.models.base import utcnow
from clickpro.services import audit
from clickpro.services.audit import Action

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 12
VALID_WINDOW = 1  # steps of 30 s either side
CLIENT_SETTING = "require_two_factor"


class TwoFactorError(ServiceError, ValueError):
    code = "two_factor"
    http_status = 400


WRONG_CODE = _l("Código inválido. Confira a hora do seu celular e tente de novo.")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    issuer = str(current_app.config["TWO_FACTOR_ISSUER"])
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The ``otpauth://`` URI as an inline SVG QR code, drawn here (never a remote service)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", scale=5, border=2, xmldecl=False, svgclass="qr-code", title="QR"
    )
    return buffer.getvalue().decode()


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace())


def matching_counter(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code is ``code`` (within the window), else None."""
    code = _digits(code)
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    current = totp.timecode(_as_datetime(moment))
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(current + offset), code):
            return current + offset
    return None


def _as_datetime(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def _consume_counter(user_id: int, counter: int) -> bool:
    """Raise ``totp_last_counter`` to ``counter``; False if that step (or a later) was used."""
    result = db.session.execute(
        sa.update(User)
        .where(
            User.id == user_id,
            sa.or_(User.totp_last_counter.is_(None), User.totp_last_counter < counter),
        )
        .values(totp_last_counter=counter)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _hash_recovery(user_id: int, code: str) -> str:
    normalized = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hashlib.sha256(f"{user_id}:{normalized}".encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4))


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_sha256=_hash_recovery(user.id, code)) for code in codes
    )
    return codes


def recovery_codes_left(user: User) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def enable(user: User, secret: str, code: str, now: float | None = None) -> list[str]:
    """Turn 2FA on with ``secret`` once ``code`` proves the app has it; the recovery codes."""
    if user.two_factor_enabled:
        raise TwoFactorError(_("A verificação em duas etapas já está ativa."))
    counter = matching_counter(secret, code, now)
    if counter is None:
        raise TwoFactorError(str(WRONG_CODE))
    user.totp_secret_enc = encrypt(secret)
    user.totp_enabled_at = utcnow()
    user.totp_last_counter = counter  # the code just typed cannot sign in
    codes = _replace_recovery_codes(user)
    db.session.commit()
    audit.record(Action.TWO_FACTOR_ENABLED, user, actor=user)
    return codes


def verify(user: User, code: str, now: float | None = None) -> str | None:
    """Check a sign-in code: ``"totp"``, ``"recovery"`` (that code is now spent) or None."""
    if not user.two_factor_enabled or not user.totp_secret_enc:
        return None
    counter = matching_counter(decrypt(user.totp_secret_enc), code, now)
    if counter is not None:
        ok = _consume_counter(user.id, counter)
        db.session.commit()
        return "totp" if ok else None
    if not any(ch.isalpha() for ch in code or ""):
        return None
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_sha256 == _hash_recovery(user.id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if not getattr(used, "rowcount", 0):
        return None
    audit.record(Action.RECOVERY_CODE_USED, user, actor=user, left=recovery_codes_left(user))
    return "recovery"


def _check_password_and_code(user: User, password: str, code: str) -> None:
    if not user.check_password(password or ""):
        raise TwoFactorError(_("Senha incorreta."))
    if verify(user, code) is None:
        raise TwoFactorError(str(WRONG_CODE))


def disable(user: User, password: str, code: str) -> None:
    """Turn 2FA off: the password and a current code (or a recovery code) are required."""
    if not user.two_factor_enabled:
        raise TwoFactorError(_("A verificação em duas etapas não está ativa."))
    if required_for(user):
        raise TwoFactorError(
            _(
                "A verificação em duas etapas é obrigatória para a sua conta e não pode ser desativada."
            )
        )
    _check_password_and_code(user, password, code)
    user.totp_secret_enc = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.commit()
    audit.record(Action.TWO_FACTOR_DISABLED, user, actor=user)


def regenerate_recovery_codes(user: User, password: str, code: str) -> list[str]:
    """New recovery codes (the old ones stop working): password and a current code."""
    if not user.two_factor_enabled:
        raise TwoFactorError(_("A verificação em duas etapas não está ativa."))
    _check_password_and_code(user, password, code)
    codes = _replace_recovery_codes(user)
    db.session.commit()
    audit.record(Action.RECOVERY_CODES_REGENERATED, user, actor=user)
    return codes


def client_requires(client: Client) -> bool:
    return bool((client.settings or {}).get(CLIENT_SETTING))


def set_client_requirement(client: Client, required: bool) -> None:
    """A client admin's choice: members without 2FA must enroll before using the client."""
    before = client_requires(client)
    client.settings = {**(client.settings or {}), CLIENT_SETTING: bool(required)}
    db.session.commit()
    if before != bool(required):
        audit.record(
            Action.CLIENT_SETTINGS_CHANGED,
            client,
            client_id=client.id,
            setting=CLIENT_SETTING,
            before=before,
            after=bool(required),
        )


def required_for(user: User) -> bool:
    """Must this user have 2FA (super admin by setting, or a client that enforces it)?"""
    if user.is_super_admin and current_app.config["TWO_FACTOR_REQUIRED_FOR_SUPER_ADMIN"]:
        return True
    stmt = (
        sa.select(Client.settings)
        .join(ClientMember, ClientMember.client_id == Client.id)
        .where(
            ClientMember.user_id == user.id,
            ClientMember.is_active.is_(True),
            Client.is_active.is_(True),
        )
    )
    return any(bool((settings or {}).get(CLIENT_SETTING)) for settings in db.session.scalars(stmt))
