"""Delivery statuses of outbound messages, applied monotonically.

Meta's status webhooks are unordered and may repeat, and a status can arrive before our
send call has returned its wamid. The rules, which make the final state independent of
the arrival order:

* the status only moves up the rank ``SENT < FAILED < DELIVERED < READ`` — a late
  DELIVERED never downgrades READ; a FAILED after DELIVERED/READ is ignored; a late SENT
  never hides a FAILED. Every move is one conditional ``UPDATE … WHERE rank(status) <
  :rank``, so concurrent workers cannot regress a row;
* each status fills its timestamp (READ also fills delivered_at and sent_at) with the
  earliest value seen, whatever the order;
* FAILED keeps Meta's ``errors[0]`` code and title;
* an unknown wamid is matched through ``biz_opaque_callback_data`` (``clickpro:m:<id>``,
  which also stores the wamid on that row), else kept in ``pending_statuses`` and applied
  by :func:`apply_pending_statuses` once the wamid is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from clickpro.extensions import db, rowcount
from clickpro.models import Direction, Message, MessageStatus, PendingStatus
from clickpro.models.base import utcnow
from clickpro.services.costs.ledger import record_pricing
from clickpro.services.messaging.status_batch import (
    StatusBatch,
    StatusItem,
    active_batch,
    collect_statuses,
    record_identities,
)
from clickpro.services.messaging.status_rules import (
    FILLS,
    STATUS_RANK,
    StatusChange,
    error_values,
)
from clickpro.services.webhook.sql import earliest, insert_ignoring

__all__ = [
    "CALLBACK_PREFIX",
    "prefetched",
    "STATUS_RANK",
    "StatusChange",
    "apply_pending_statuses",
    "apply_status",
    "callback_data_for",
    "record_status",
    "status_batch",
]

CALLBACK_PREFIX = "clickpro:m:"
_messages = Message.__table__
_pending = PendingStatus.__table__


def callback_data_for(message_id: int) -> str:
    """The ``biz_opaque_callback_data`` to send with a message (matched back here)."""
    return f"{CALLBACK_PREFIX}{message_id}"


def normalize_status(status: str | None) -> str | None:
    value = str(status or "").upper()
    return value if value in STATUS_RANK else None


def to_datetime(timestamp: Any) -> datetime:
    """Meta's unix-seconds string (or a datetime) as an aware UTC datetime; now if absent."""
    if isinstance(timestamp, datetime):
        return timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
    try:
        return datetime.fromtimestamp(int(str(timestamp)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return utcnow()


def _rank_of(column) -> sa.ColumnElement:
    return sa.case(STATUS_RANK, value=column, else_=0)


@dataclass(frozen=True)
class _Target:
    id: int
    client_id: int
    contact_id: int
    campaign_id: int | None
    status: str
    wamid: str | None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None


def _target(row) -> _Target | None:
    return None if row is None else _Target(*row)


_COLUMNS = (
    _messages.c.id,
    _messages.c.client_id,
    _messages.c.contact_id,
    _messages.c.campaign_id,
    _messages.c.status,
    _messages.c.wamid,
    _messages.c.sent_at,
    _messages.c.delivered_at,
    _messages.c.read_at,
)


# Rows read ahead for a batch of webhooks (one SELECT instead of one per status).
_prefetched: ContextVar[dict[str, _Target] | None] = ContextVar("delivery_prefetch", default=None)


@contextmanager
def prefetched(wamids: Iterable[str]) -> Iterator[None]:
    """Read the outbound rows of ``wamids`` at once for the statuses applied inside.

    Safe under concurrency: statuses and timestamps only move one way, so a stale cached
    row can only cause a no-op UPDATE, never a skipped one. Unknown wamids still query.
    """
    wanted = sorted({w for w in wamids if w})
    rows: dict[str, _Target] = {}
    for start in range(0, len(wanted), 500):
        stmt = sa.select(*_COLUMNS).where(
            _messages.c.wamid.in_(wanted[start : start + 500]),
            _messages.c.direction == Direction.OUT,
        )
        rows.update({row.wamid: _target(row) for row in db.session.execute(stmt)})
    token = _prefetched.set(rows)
    try:
        yield
    finally:
        _prefetched.reset(token)


def _remember(row: _Target) -> None:
    cache = _prefetched.get()
    if cache is not None and row.wamid:
        cache[row.wamid] = row


def _find_by_wamid(client_id: int, wamid: str):
    cache = _prefetched.get()
    if cache is not None:
        hit = cache.get(wamid)
        if hit is not None and hit.client_id == client_id:
            return hit
    stmt = sa.select(*_COLUMNS).where(
        _messages.c.wamid == wamid,
        _messages.c.client_id == client_id,
        _messages.c.direction == Direction.OUT,
    )
    return _target(db.session.execute(stmt).first())


def _callback_message_id(callback_data: str | None) -> int | None:
    if not callback_data or not str(callback_data).startswith(CALLBACK_PREFIX):
        return None
    tail = str(callback_data)[len(CALLBACK_PREFIX) :]
    return int(tail) if tail.isdigit() else None


def _find_by_callback(client_id: int, wamid: str, callback_data: str | None):
    """The row named by ``clickpro:m:<id>``; claims ``wamid`` for it if it has none yet."""
    message_id = _callback_message_id(callback_data)
    if message_id is None:
        return None
    stmt = sa.select(*_COLUMNS).where(
        _messages.c.id == message_id,
        _messages.c.client_id == client_id,
        _messages.c.direction == Direction.OUT,
    )
    row = _target(db.session.execute(stmt).first())
    if row is None:
        return None
    if row.wamid is None:
        claimed = rowcount(
            db.session.execute(
                sa.update(_messages)
                .where(_messages.c.id == row.id, _messages.c.wamid.is_(None))
                .values(wamid=wamid)
            )
        )
        if not claimed:  # the sender stored it meanwhile: re-read
            return _find_by_wamid(client_id, wamid)
        return replace(row, wamid=wamid)
    return row if row.wamid == wamid else None


def _apply_to_row(
    row: _Target, status: str, at: datetime, errors: list | None
) -> StatusChange | None:
    """One conditional UPDATE (the move), or a timestamps-only UPDATE when it is no move."""
    c = _messages.c
    rank = STATUS_RANK[status]
    fills = {name: earliest(c[name], at) for name in FILLS[status]}
    values: dict[str, Any] = {"status": status, "updated_at": utcnow(), **fills}
    values.update(error_values(status, errors))
    if rank > STATUS_RANK[MessageStatus.FAILED]:  # a real delivery clears an earlier failure
        was_failed = c.status == MessageStatus.FAILED
        values["error_code"] = sa.case((was_failed, None), else_=c.error_code)
        values["error_title"] = sa.case((was_failed, None), else_=c.error_title)
        values["failed_at"] = sa.case((was_failed, None), else_=c.failed_at)
    # Ranks and timestamps only ever move one way, so a stale read can only make us
    # try an UPDATE that turns out to be a no-op, never skip a needed one.
    moved = 0
    if STATUS_RANK.get(row.status, 0) < rank:
        moved = rowcount(
            db.session.execute(
                sa.update(_messages)
                .where(c.id == row.id, _rank_of(c.status) < rank)
                .values(**values)
            )
        )
    if moved:
        _remember(replace(row, status=status, **_filled(row, status, at)))
        return StatusChange(
            row.client_id, row.id, row.contact_id, row.campaign_id, status, row.status
        )
    if status != MessageStatus.FAILED and _fills_needed(row, status, at):
        db.session.execute(sa.update(_messages).where(c.id == row.id).values(**fills))
        _remember(replace(row, **_filled(row, status, at)))
    return None


def _filled(row: _Target, status: str, at: datetime) -> dict:
    """The timestamps of ``row`` after ``status`` at ``at`` (earliest wins)."""
    out = {}
    for name in FILLS[status]:
        if hasattr(row, name):
            current = getattr(row, name)
            out[name] = at if current is None or current > at else current
    return out


def _fills_needed(row: _Target, status: str, at: datetime) -> bool:
    for name in FILLS[status]:
        current = getattr(row, name, None)
        if current is None or current > at:
            return True
    return False


def record_status(
    client_id: int,
    wamid: str,
    status: str,
    timestamp: Any,
    *,
    callback_data: str | None = None,
    errors: list | None = None,
    pricing: dict | None = None,
    recipient: dict | None = None,
    phone_number_id: str | None = None,
    identities: tuple[str | None, str | None] = (None, None),
) -> tuple[StatusChange | None, bool]:
    """Apply one status in the current transaction (no commit, no signal).

    Returns ``(change, pending)``: ``change`` when the status moved, ``pending`` when the
    message is unknown and the status was kept for later. ``pricing`` (the status's
    ``pricing`` object) goes to the cost ledger whether or not the status moved;
    ``recipient`` holds the status's recipient ids (for the market); ``identities`` the
    recipient's (BSUID, parent BSUID), recorded on its contact.

    Inside :func:`status_batch` the status is
    only collected — returns ``(None, False)`` — and the batch applies it set-based.
    """
    normalized = normalize_status(status)
    if normalized is None or not wamid:
        return None, False
    item = StatusItem(
        client_id, wamid, normalized, to_datetime(timestamp),
        callback_data=callback_data, errors=errors, pricing=pricing, recipient=recipient,
        phone_number_id=phone_number_id, bsuid=identities[0], parent_bsuid=identities[1],
    )  # fmt: skip
    batch = active_batch()
    if batch is not None:
        batch.add(item)
        return None, False
    return record_one(item)


@contextmanager
def status_batch() -> Iterator[StatusBatch | None]:
    """Collect the statuses :func:`record_status` receives inside and apply them in one
    statement (:mod:`.status_batch`; PostgreSQL only, else None: one by one); what the
    statement does not match falls back to :func:`record_one`."""
    with collect_statuses(record_one) as batch:
        yield batch


def record_one(item: StatusItem) -> tuple[StatusChange | None, bool]:
    """:func:`record_status` for one normalized status, row by row (any database)."""
    client_id, wamid, at = item.client_id, item.wamid, item.at
    row = _find_by_wamid(client_id, wamid) or _find_by_callback(
        client_id, wamid, item.callback_data
    )
    if row is not None:
        change = _apply_to_row(row, item.status, at, item.errors)
        if item.pricing:
            record_pricing(
                client_id, row.id, row.contact_id, item.pricing, at,
                status=item.recipient, phone_number_id=item.phone_number_id,
            )  # fmt: skip
        record_identities(
            client_id, row.contact_id, item.phone_number_id, item.bsuid, item.parent_bsuid
        )
        return change, False
    payload: dict[str, Any] = {
        "timestamp": at.isoformat(),
        "errors": item.errors or [],
        "callback_data": item.callback_data,
    }
    if item.pricing:
        payload.update(
            pricing=item.pricing, recipient=item.recipient, phone_number_id=item.phone_number_id
        )
    if item.bsuid or item.parent_bsuid:
        payload.update(
            identities=[item.bsuid, item.parent_bsuid], phone_number_id=item.phone_number_id
        )
    db.session.execute(
        insert_ignoring(_pending, "wamid", "status").values(
            client_id=client_id,
            wamid=wamid,
            status=item.status,
            payload=payload,
            received_at=utcnow(),
        )
    )
    return None, True


def apply_status(
    client_id: int,
    wamid: str,
    status: str,
    timestamp: Any,
    *,
    callback_data: str | None = None,
    errors: list | None = None,
) -> bool:
    """Apply one status, commit, announce it. True if the message's status moved."""
    change, pending = record_status(
        client_id, wamid, status, timestamp, callback_data=callback_data, errors=errors
    )
    db.session.commit()
    if change is not None:
        change.send_signal()
    if pending:
        reconcile_pending(client_id, wamid)
    return change is not None


def reconcile_pending(client_id: int, wamid: str) -> int:
    """After a pending status is committed: apply it now if the wamid landed meanwhile.

    Closes the race where the sender stored the wamid (and ran
    :func:`apply_pending_statuses`) between our lookup and our commit.
    """
    row = _find_by_wamid(client_id, wamid)
    if row is None:
        return 0
    return _apply_pending(row)


def apply_pending_statuses(message: Message | int) -> int:
    """Apply the statuses that arrived before ``message`` had its wamid.

    Call it right after storing a wamid (and committing). Commits, announces the
    changes, and returns how many pending statuses were consumed.
    """
    message_id = message if isinstance(message, int) else message.id
    row = _target(
        db.session.execute(sa.select(*_COLUMNS).where(_messages.c.id == message_id)).first()
    )
    if row is None or row.wamid is None:
        return 0
    return _apply_pending(row)


def _apply_pending(row: _Target) -> int:
    stmt = sa.select(_pending.c.id, _pending.c.status, _pending.c.payload).where(
        _pending.c.wamid == row.wamid, _pending.c.client_id == row.client_id
    )
    pending = sorted(db.session.execute(stmt).all(), key=lambda p: STATUS_RANK.get(p.status, 0))
    if not pending:
        return 0
    changes = []
    current = row
    for item in pending:
        payload = item.payload or {}
        at = to_datetime(_parse_iso(payload.get("timestamp")))
        change = _apply_to_row(current, item.status, at, payload.get("errors"))
        if payload.get("pricing"):
            record_pricing(
                row.client_id, row.id, row.contact_id, payload["pricing"], at,
                status=payload.get("recipient"), phone_number_id=payload.get("phone_number_id"),
            )  # fmt: skip
        identities = payload.get("identities")
        if isinstance(identities, list) and len(identities) == 2:
            record_identities(
                row.client_id, row.contact_id, payload.get("phone_number_id"), *identities
            )
        if change is not None:
            changes.append(change)
            current = replace(current, status=item.status)
    db.session.execute(sa.delete(_pending).where(_pending.c.id.in_([p.id for p in pending])))
    db.session.commit()
    for change in changes:
        change.send_signal()
    return len(pending)


def _parse_iso(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value
