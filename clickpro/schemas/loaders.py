"""The per-page lookups the builders share (one query each, whatever the page size)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import OptOut, User


def user_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {uid for uid in user_ids if uid}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {uid: (name or email) for uid, name, email in rows}


def opted_out_phones(client_id: int, phones: Iterable[str]) -> set[str]:
    wanted = sorted(set(phones))
    if not wanted:
        return set()
    stmt = sa.select(OptOut.phone_e164).where(
        OptOut.client_id == client_id, OptOut.phone_e164.in_(wanted)
    )
    return set(db.session.scalars(stmt))
