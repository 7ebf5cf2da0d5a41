"""Reading the audit log: one client's entries (or all, for the super admin), filtered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    """What the log page asks for; ``client_id`` None means every client (super admin)."""

    client_id: int | None
    action: str | None = None
    user_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive, a whole day (UTC)


def _select(flt: AuditFilter) -> sa.Select:
    stmt = sa.select(AuditEntry)
    if flt.client_id is not None:
        stmt = stmt.where(AuditEntry.client_id == flt.client_id)
    if flt.action:
        stmt = stmt.where(AuditEntry.action == flt.action)
    if flt.user_id is not None:
        stmt = stmt.where(AuditEntry.actor_user_id == flt.user_id)
    if flt.date_from is not None:
        stmt = stmt.where(AuditEntry.created_at >= datetime.combine(flt.date_from, time(), UTC))
    if flt.date_to is not None:
        end = datetime.combine(flt.date_to, time(), UTC) + timedelta(days=1)
        stmt = stmt.where(AuditEntry.created_at < end)
    return stmt


def entries_for(flt: AuditFilter, *, page: int = 1, per_page: int = 50):
    """One page, newest first (Flask-SQLAlchemy's ``Pagination``)."""
    stmt = _select(flt).order_by(AuditEntry.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)


def actors_of(client_id: int | None) -> list[tuple[int, str]]:
    """(user id, e-mail) of everyone who appears in the log (the filter's choices)."""
    stmt = (
        sa.select(AuditEntry.actor_user_id, sa.func.max(AuditEntry.actor_email))
        .where(AuditEntry.actor_user_id.is_not(None))
        .group_by(AuditEntry.actor_user_id)
        .order_by(sa.func.max(AuditEntry.actor_email))
    )
    if client_id is not None:
        stmt = stmt.where(AuditEntry.client_id == client_id)
    return [(int(uid), str(email)) for uid, email in db.session.execute(stmt) if uid is not None]


EXPORT_HEADER = (
    "id",
    "created_at",
    "client_id",
    "actor_user_id",
    "actor_email",
    "ip",
    "action",
    "target",
    "details",
)


def export_rows(flt: AuditFilter, *, limit: int) -> Iterator[tuple]:
    """Rows for the CSV export, oldest first, streamed in batches."""
    stmt = _select(flt).order_by(AuditEntry.id).limit(limit).execution_options(yield_per=1000)
    for entry in db.session.scalars(stmt):
        yield (
            entry.id,
            entry.created_at.isoformat(),
            entry.client_id or "",
            entry.actor_user_id or "",
            entry.actor_email,
            entry.ip or "",
            entry.action,
            entry.target,
            json.dumps(entry.details or {}, ensure_ascii=False, sort_keys=True),
        )
