"""The per-page lookups the builders share (one query each, whatever the page size)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

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


def opted_out_contact_ids(client_id: int, contacts: Sequence[Any]) -> set[int]:
    """Ids of ``contacts`` (rows with id, phone_e164, bsuid) opted out by phone or BSUID."""
    phones = sorted({c.phone_e164 for c in contacts if c.phone_e164})
    bsuids = sorted({c.bsuid for c in contacts if c.bsuid})
    if not phones and not bsuids:
        return set()
    match = []
    if phones:
        match.append(OptOut.phone_e164.in_(phones))
    if bsuids:
        match.append(OptOut.bsuid.in_(bsuids))
    rows = db.session.execute(
        sa.select(OptOut.phone_e164, OptOut.bsuid).where(
            OptOut.client_id == client_id, sa.or_(*match)
        )
    ).all()
    out_phones = {phone for phone, _ in rows if phone}
    out_bsuids = {bsuid for _, bsuid in rows if bsuid}
    return {
        c.id
        for c in contacts
        if (c.phone_e164 and c.phone_e164 in out_phones) or (c.bsuid and c.bsuid in out_bsuids)
    }
