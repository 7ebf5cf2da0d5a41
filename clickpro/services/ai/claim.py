"""Claiming a burst of inbound messages for one AI run — the "never twice" part.

The AI answers per conversation (one contact on one of the client's numbers): a
conversation's runs form a chain (``clickpro.models.ai``): a run covers the inbound
messages of that conversation after the previous run's trigger (and after the last
AI/agent message there) up to its own trigger. The INSERT of the run is the claim:
``UNIQUE(conversation_id, after_message_id)`` lets one job take each link,
``UNIQUE(trigger_message_id)`` makes a re-run a no-op, so the same inbound message
advances the chain once. A conversation's thread is its contact's messages on its
number. Plain rows (no ORM objects) travel on, so commits reload nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from clickpro.extensions import db, rowcount
from clickpro.models import AIReplyRun, AIRunStatus, Author, Direction, Message
from clickpro.models.base import utcnow
from clickpro.services.webhook.sql import insert_ignoring

IGNORED_TYPES = ("reaction",)  # an emoji on a message asks nothing
_runs = AIReplyRun.__table__
_messages = Message.__table__


@dataclass(frozen=True)
class Inbound:
    id: int
    type: str
    body: str


@dataclass(frozen=True)
class Thread:
    """A conversation as plain values: its id, its contact and its number."""

    conversation_id: int
    contact_id: int
    number_id: int

    def messages(self) -> sa.ColumnElement[bool]:
        """The conversation's messages: its contact's, on its number."""
        m = _messages.c
        return sa.and_(m.contact_id == self.contact_id, m.number_id == self.number_id)


@dataclass(frozen=True)
class Claim:
    """A claimed run: its id, whose conversation, and the messages it answers."""

    id: int
    client_id: int
    thread: Thread
    trigger_id: int
    batch: tuple[Inbound, ...]
    attempt: int = 1

    @property
    def contact_id(self) -> int:
        return self.thread.contact_id

    @property
    def conversation_id(self) -> int:
        return self.thread.conversation_id

    @property
    def message_ids(self) -> list[int]:
        return [m.id for m in self.batch]


def _floor(thread: Thread, trigger_id: int) -> tuple[int, int]:
    """(last trigger already handled, last AI/agent message before the trigger)."""
    m = _messages.c
    watermark = (
        sa.select(sa.func.max(_runs.c.trigger_message_id))
        .where(_runs.c.conversation_id == thread.conversation_id)
        .scalar_subquery()
    )
    last_reply = (
        sa.select(sa.func.max(m.id))
        .where(
            thread.messages(),
            m.direction == Direction.OUT,
            m.author.in_((Author.AI, Author.AGENT)),
            m.is_internal_note.is_(False),
            m.id < trigger_id,
        )
        .scalar_subquery()
    )
    row = db.session.execute(sa.select(watermark, last_reply)).one()
    return int(row[0] or 0), int(row[1] or 0)


def _inbound_after(thread: Thread, floor: int) -> list[sa.Row]:
    m = _messages.c
    stmt = (
        sa.select(m.id, m.type, m.body, m.created_at)
        .where(
            thread.messages(),
            m.direction == Direction.IN,
            m.id > floor,
            m.type.notin_(IGNORED_TYPES),
        )
        .order_by(m.id)
    )
    return list(db.session.execute(stmt))


def claim(
    client_id: int,
    thread: Thread,
    trigger_id: int,
    *,
    now: datetime,
    max_wait_s: float,
    lost_races: int = 0,
) -> tuple[Claim | None, str]:
    """Take the next link of the conversation's chain, unless a newer message's job
    should (debounce).

    Losing the link to another job does not mean our message is covered: an older
    trigger's job may have taken the link with a shorter batch. Then the next link is
    ours to take, so we look again (the winner has committed by the time our insert
    returns).
    """
    after, last_reply = _floor(thread, trigger_id)
    if after >= trigger_id:
        return None, "already_answered"
    rows = _inbound_after(thread, max(after, last_reply))
    batch = [r for r in rows if r.id <= trigger_id]
    if not batch:
        return None, "nothing_to_answer"
    newer = len(batch) < len(rows)
    if newer and now - batch[0].created_at < timedelta(seconds=max_wait_s):
        return None, "superseded"  # that newer message's job answers the whole burst
    inbound = tuple(Inbound(r.id, r.type, r.body or "") for r in batch)
    stamp = utcnow()
    run_id = db.session.execute(
        insert_ignoring(_runs)
        .values(
            client_id=client_id,
            contact_id=thread.contact_id,
            conversation_id=thread.conversation_id,
            trigger_message_id=trigger_id,
            after_message_id=after,
            message_ids=[m.id for m in inbound],
            status=AIRunStatus.CLAIMED,
            attempts=1,
            input_tokens=0,
            output_tokens=0,
            created_at=stamp,
            updated_at=stamp,
        )
        .returning(_runs.c.id)
    ).scalar()
    if run_id is None:
        db.session.rollback()
        if lost_races < 3:
            return claim(client_id, thread, trigger_id, now=now, max_wait_s=max_wait_s,
                         lost_races=lost_races + 1)  # fmt: skip
        return None, "claimed_elsewhere"
    db.session.commit()
    return Claim(run_id, client_id, thread, trigger_id, inbound), "claimed"


def resume(client_id: int, thread: Thread, trigger_id: int, attempt: int) -> Claim | None:
    """A retry takes its run back only as the next attempt (no two retries at once)."""
    row = db.session.execute(
        sa.update(_runs)
        .where(
            _runs.c.client_id == client_id,
            _runs.c.conversation_id == thread.conversation_id,
            _runs.c.trigger_message_id == trigger_id,
            _runs.c.status == AIRunStatus.CLAIMED,
            _runs.c.attempts == attempt - 1,
        )
        .values(attempts=attempt, updated_at=utcnow())
        .returning(_runs.c.id, _runs.c.message_ids)
    ).first()
    db.session.commit()
    if row is None:
        return None
    m = _messages.c
    found = db.session.execute(
        sa.select(m.id, m.type, m.body).where(m.id.in_(row.message_ids)).order_by(m.id)
    )
    inbound = tuple(Inbound(r.id, r.type, r.body or "") for r in found)
    return Claim(row.id, client_id, thread, trigger_id, inbound, attempt)


def abandon(client_id: int, trigger_id: int, reason: str) -> None:
    """A claimed run that will not send (e.g. an agent took over while it waited)."""
    db.session.execute(
        sa.update(_runs)
        .where(
            _runs.c.client_id == client_id,
            _runs.c.trigger_message_id == trigger_id,
            _runs.c.status == AIRunStatus.CLAIMED,
        )
        .values(status=AIRunStatus.FAILED, error=f"abandoned: {reason}", updated_at=utcnow())
    )
    db.session.commit()


def take_send_slot(claim: Claim, **values) -> bool:
    """CLAIMED → SENDING once (with ``values``): the winner alone sends for this run."""
    result = db.session.execute(
        sa.update(_runs)
        .where(_runs.c.id == claim.id, _runs.c.status == AIRunStatus.CLAIMED)
        .values(status=AIRunStatus.SENDING, updated_at=utcnow(), **values)
    )
    db.session.commit()
    return rowcount(result) == 1


def finish(claim: Claim, **values) -> None:
    """Record the end of a run (in the caller's transaction; the caller commits)."""
    db.session.execute(
        sa.update(_runs).where(_runs.c.id == claim.id).values(updated_at=utcnow(), **values)
    )


def record_error(claim: Claim, kind: str, message: str) -> None:
    finish(claim, error_kind=kind[:20], error=message[:500])
    db.session.commit()
