"""Re-encryption of every stored secret under the first key (``clickpro rotate-keys``).

Every ``*_enc`` column of every table is covered, so secrets added later by other
features rotate too (users' TOTP secrets, API webhook secrets). Secrets kept encrypted in a
session cookie (2FA enrolment, a just-created token shown once) live minutes and cannot be
reached: their readers treat a value no key decrypts as absent. Batches are committed one by one and a value already readable with
the first key is skipped: an interrupted run is finished by running it again.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from clickpro.crypto import EncryptionConfigError, rotate
from clickpro.extensions import db

log = logging.getLogger(__name__)


def _primary_key() -> Fernet:
    raw = current_app.config["CLICKPRO_ENCRYPTION_KEYS"] or ""
    return Fernet(next(k.strip() for k in raw.split(",") if k.strip()))


def _encrypted_columns() -> list[tuple[sa.Table, list[sa.Column]]]:
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name.endswith("_enc")]
        if columns and "id" in table.columns:
            found.append((table, columns))
    return found


def _is_current(primary: Fernet, token: str) -> bool:
    try:
        primary.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def _rotate_value(token: str, where: str) -> str:
    try:
        return rotate(token)
    except InvalidToken:
        raise EncryptionConfigError(
            f"{where}: no key of CLICKPRO_ENCRYPTION_KEYS decrypts this secret "
            "(keep the old key in the list until rotate-keys has finished)"
        ) from None


def _rotate_table(table: sa.Table, columns: list[sa.Column], primary: Fernet, batch: int) -> int:
    rotated, last_id, dirty = 0, None, False
    while True:
        # rows holding no secret at all (e.g. users without 2FA) are not read: batches
        # are made of secrets only, and one with nothing to change commits nothing
        holds_secret = sa.or_(*(column.is_not(None) for column in columns))
        stmt = sa.select(table.c.id, *columns).where(holds_secret).order_by(table.c.id).limit(batch)
        if last_id is not None:
            stmt = stmt.where(table.c.id > last_id)
        rows = db.session.execute(stmt).all()
        if not rows:
            db.session.commit()  # ends the read transaction (nothing is pending here)
            return rotated
        for row in rows:
            changes = {
                column.name: _rotate_value(value, f"{table.name}.{column.name} id={row.id}")
                for column, value in zip(columns, row[1:], strict=True)
                if value and not _is_current(primary, value)
            }
            if changes:
                db.session.execute(sa.update(table).where(table.c.id == row.id).values(**changes))
                rotated += len(changes)
                dirty = True
        if dirty:
            db.session.commit()
            dirty = False
        last_id = rows[-1].id


def rotate_all_secrets(batch_size: int = 500) -> int:
    """Re-encrypt every secret not yet under the first key; returns how many were."""
    primary = _primary_key()
    total = 0
    for table, columns in _encrypted_columns():
        count = _rotate_table(table, columns, primary, max(1, int(batch_size)))
        log.info("rotate-keys: %s: %d secret(s) re-encrypted", table.name, count)
        total += count
    return total
