"""Helpers of the two-factor and audit tests (a fixed secret and clock)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import sqlalchemy as sa
from freezegun import freeze_time

from clickpro.extensions import db as _db
from clickpro.models import AuditEntry

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T0 = 1_800_000_000  # 2027-01-15 08:00:00 UTC, a step boundary (T0 % 30 == 0)
PASSWORD = "senha-segura-123"  # tests/conftest.py's


def code_at(moment: float, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(moment)


def at(moment: float):
    """freezegun at ``moment`` (epoch seconds): TOTP, signed states and throttles agree."""
    return freeze_time(datetime.fromtimestamp(moment, UTC))


def password_step(client, email: str, password: str = PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def is_signed_in(client) -> bool:
    """The dashboard opens (not a redirect to the login page)."""
    response = client.get("/")
    return response.status_code == 200


def entries(action: str | None = None) -> list[AuditEntry]:
    _db.session.expire_all()
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return list(_db.session.scalars(stmt))
