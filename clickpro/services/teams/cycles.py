"""Service cycles: one ``conversation_cycles`` row per open → resolved stretch.

Receivers (connected in :mod:`clickpro.receivers`):

- ``message_received`` → :func:`on_message_received`, in this order:
  1. a CSAT answer to a resolved conversation (:mod:`.csat`) is taken and the
     conversation is put back to RESOLVED as it was (``touch_conversation`` reopened it):
     no new cycle, no off-hours reply — the answer is not a new request;
  2. the open cycle is INSERTed (``ON CONFLICT DO NOTHING`` on the partial unique index
     "one open cycle per conversation", PostgreSQL and SQLite): the insert is the claim,
     so two messages at once open one cycle; when it was created
     ``conversation_opened`` is sent (routing gives it a team synchronously), then the
     SLA deadlines are computed from the team's targets in its business hours;
  3. the off-hours reply (:mod:`.offhours`).
- ``message_created`` (agent / AI author) → first response of the open cycle, once.
- ``conversation_status_changed`` → RESOLVED closes the open cycle, publishes
  ``conversation.resolved`` and asks the CSAT question; OPEN (a person reopened it)
  drops a pending survey.
- ``conversation_assigned`` → a team change recomputes the open cycle's deadlines.

Every receiver uses the message's own time (``messages.created_at``) or the resolution
time, never "now", so a delayed webhook counts from when the customer wrote.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from clickpro.events import conversation_opened, conversation_updated, send_safely
from clickpro.extensions import db, rowcount
from clickpro.models import Author, Conversation, ConversationCycle, Message, Team
from clickpro.models.api import OutboundEvent
from clickpro.services.teams import hours

log = logging.getLogger(__name__)
_cycles = ConversationCycle.__table__
_conversations = Conversation.__table__


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def open_cycle_of(client_id: int, conversation_id: int) -> ConversationCycle | None:
    return db.session.scalar(
        sa.select(ConversationCycle).where(
            ConversationCycle.client_id == client_id,
            ConversationCycle.conversation_id == conversation_id,
            ConversationCycle.resolved_at.is_(None),
        )
    )


# The row just inserted is not visible to its own statement's sub-SELECT, whatever the
# condition on ids; the condition keeps the meaning exact anyway ("another cycle").
_EARLIER_CYCLE: sa.ColumnClause[bool] = sa.literal_column(
    "EXISTS (SELECT 1 FROM conversation_cycles AS earlier"
    " WHERE earlier.conversation_id = conversation_cycles.conversation_id"
    " AND earlier.id <> conversation_cycles.id)",
    sa.Boolean(),
)


def _claim(conv: Conversation, at: datetime) -> tuple[int, bool] | None:
    """INSERT the open cycle: ``(its id, reopened)`` when this call created it (reopened:
    the conversation had an earlier cycle), None when one was open. On PostgreSQL both
    come from the one INSERT (its RETURNING)."""
    postgres = db.engine.dialect.name == "postgresql"
    module = postgresql if postgres else sqlite
    stmt = (
        module.insert(_cycles)
        .values(
            client_id=conv.client_id,
            conversation_id=conv.id,
            number_id=conv.number_id,
            team_id=conv.team_id,
            opened_at=at,
            first_response_breached=False,
            resolution_breached=False,
        )
        .on_conflict_do_nothing(
            index_elements=["conversation_id"], index_where=sa.text("resolved_at IS NULL")
        )
    )
    if postgres:
        row = db.session.execute(stmt.returning(_cycles.c.id, _EARLIER_CYCLE)).first()
        return (row[0], bool(row[1])) if row is not None else None
    cycle_id = db.session.execute(stmt.returning(_cycles.c.id)).scalar()
    if cycle_id is None:
        return None
    earlier = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(_cycles)
        .where(_cycles.c.conversation_id == conv.id, _cycles.c.id != cycle_id)
    )
    return cycle_id, bool(earlier)


def deadlines(
    client_id: int, team_id: int | None, opened_at: datetime
) -> tuple[int | None, datetime | None, datetime | None]:
    """``(team_id, first_response_due_at, resolution_due_at)`` of a cycle opened at
    ``opened_at`` under that team's SLA, in the team's business hours (team_id None:
    no team, or not this client's)."""
    team = db.session.get(Team, team_id) if team_id else None
    if team is not None and team.client_id != client_id:
        team = None
    first_due = resolution_due = None
    if team is not None and (team.sla_first_response_minutes or team.sla_resolution_minutes):
        schedule = hours.schedule_for(client_id, team.id)
        if team.sla_first_response_minutes:
            first_due = schedule.add_business_seconds(
                opened_at, team.sla_first_response_minutes * 60
            )
        if team.sla_resolution_minutes:
            resolution_due = schedule.add_business_seconds(
                opened_at, team.sla_resolution_minutes * 60
            )
    return (team.id if team else None), first_due, resolution_due


def compute_due(client_id: int, cycle: ConversationCycle, team_id: int | None) -> None:
    """Deadlines of the team's SLA from the cycle's opening, in the team's business hours;
    copied on the conversation (the inbox sorts by them without a join)."""
    team, first_due, resolution_due = deadlines(client_id, team_id, cycle.opened_at)
    cycle.team_id = team
    cycle.first_response_due_at = first_due
    cycle.resolution_due_at = resolution_due
    _copy_due(client_id, cycle.conversation_id, first_due, resolution_due)


def _copy_due(
    client_id: int,
    conversation_id: int,
    first_due: datetime | None,
    resolution_due: datetime | None,
) -> None:
    db.session.execute(
        sa.update(_conversations)
        .where(
            _conversations.c.id == conversation_id,
            _conversations.c.client_id == client_id,
        )
        .values(first_response_due_at=first_due, resolution_due_at=resolution_due)
    )


def _due_new_cycle(
    conv: Conversation, cycle_id: int, inserted_team_id: int | None, opened_at: datetime
) -> bool:
    """:func:`compute_due` for the cycle just claimed, without loading it: its row was
    written with ``inserted_team_id`` and no deadlines, so only what differs is written
    (nothing at all for a conversation without a team SLA, the common case). True when
    something was written (to commit)."""
    team_id, first_due, resolution_due = deadlines(conv.client_id, conv.team_id, opened_at)
    wrote = False
    if team_id != inserted_team_id or first_due is not None or resolution_due is not None:
        wrote = True
        db.session.execute(
            sa.update(_cycles)
            .where(_cycles.c.id == cycle_id)
            .values(
                team_id=team_id,
                first_response_due_at=first_due,
                resolution_due_at=resolution_due,
            )
        )
    if (conv.first_response_due_at, conv.resolution_due_at) != (first_due, resolution_due):
        wrote = True
        _copy_due(conv.client_id, conv.id, first_due, resolution_due)
    return wrote


# --------------------------------------------------------------------------- receivers
def on_message_received(
    sender=None,
    *,
    client_id: int,
    message_id: int,
    conversation_id: int | None = None,
    number_id: int | None = None,
    **_,
) -> None:
    from clickpro.services.teams import csat, offhours

    message = db.session.get(Message, message_id)
    if message is None or message.client_id != client_id or message.conversation_id is None:
        return
    conv = db.session.get(Conversation, message.conversation_id)
    if conv is None or conv.client_id != client_id:
        return
    at = message.created_at or hours.now()
    if csat.take_answer(conv, message):
        return
    opened_at = conv.opened_at or at
    # Read before the commit expires them (each read after it would be one more SELECT).
    conv_id, conv_number_id, inserted_team_id = conv.id, conv.number_id, conv.team_id
    claimed = _claim(conv, opened_at)
    db.session.commit()
    with hours.schedules_cached():  # the deadlines and the off-hours check read it once
        if claimed is not None:
            cycle_id, reopened = claimed
            send_safely(
                conversation_opened,
                client_id=client_id,
                conversation_id=conv_id,
                number_id=conv_number_id,
                reopened=reopened,
            )
            db.session.expire_all()  # routing may have given it a team and an agent
            conv = db.session.get(Conversation, conv_id)
            if conv is None:
                return
            if _due_new_cycle(conv, cycle_id, inserted_team_id, opened_at):
                db.session.commit()
        offhours.maybe_reply(conv, at)


def on_message_created(sender=None, *, client_id: int, message_id: int, **_) -> None:
    """The first agent/AI reply of the open cycle: first_response_at and its business
    seconds, once (a conditional UPDATE)."""
    message = db.session.get(Message, message_id)
    if (
        message is None
        or message.client_id != client_id
        or message.conversation_id is None
        or message.author not in (Author.AGENT, Author.AI)
    ):
        return
    cycle = open_cycle_of(client_id, message.conversation_id)
    if cycle is None or cycle.first_response_at is not None:
        return
    at = message.created_at or hours.now()
    schedule = hours.schedule_for(client_id, cycle.team_id)
    seconds = schedule.business_seconds(cycle.opened_at, at)
    late = cycle.first_response_due_at is not None and at > cycle.first_response_due_at
    c = _cycles.c
    done = rowcount(
        db.session.execute(
            sa.update(_cycles)
            .where(c.id == cycle.id, c.first_response_at.is_(None))
            .values(
                first_response_at=at,
                first_response_seconds=seconds,
                first_response_breached=sa.or_(c.first_response_breached, sa.literal(late)),
            )
        )
    )
    if done:
        db.session.execute(
            sa.update(_conversations)
            .where(_conversations.c.id == cycle.conversation_id)
            .values(first_response_at=at)
        )
    db.session.commit()


def close_cycle(conv: Conversation, at: datetime) -> ConversationCycle | None:
    """Close the open cycle (resolved_at, business resolution seconds, agent, team)."""
    cycle = open_cycle_of(conv.client_id, conv.id)
    if cycle is None:
        return None
    schedule = hours.schedule_for(conv.client_id, cycle.team_id)
    c = _cycles.c
    late = cycle.resolution_due_at is not None and at > cycle.resolution_due_at
    done = rowcount(
        db.session.execute(
            sa.update(_cycles)
            .where(c.id == cycle.id, c.resolved_at.is_(None))
            .values(
                resolved_at=at,
                resolution_seconds=schedule.business_seconds(cycle.opened_at, at),
                agent_user_id=conv.assigned_user_id or cycle.agent_user_id,
                team_id=conv.team_id,
                resolution_breached=sa.or_(c.resolution_breached, sa.literal(late)),
            )
        )
    )
    db.session.commit()
    if not done:
        return None
    db.session.refresh(cycle)
    return cycle


def cycle_data(conv: Conversation, cycle: ConversationCycle) -> dict:
    return {
        "conversation_id": conv.id,
        "contact_id": conv.contact_id,
        "number_id": conv.number_id,
        "cycle_id": cycle.id,
        "team_id": cycle.team_id,
        "agent_user_id": cycle.agent_user_id,
        "opened_at": _iso(cycle.opened_at),
        "first_response_at": _iso(cycle.first_response_at),
        "resolved_at": _iso(cycle.resolved_at),
        "first_response_seconds": cycle.first_response_seconds,
        "resolution_seconds": cycle.resolution_seconds,
        "first_response_breached": cycle.first_response_breached,
        "resolution_breached": cycle.resolution_breached,
        "csat_score": cycle.csat_score,
    }


def on_status_changed(
    sender=None, *, client_id: int, conversation_id: int, status: str, **_
) -> None:
    from clickpro.services.api.outbound_webhooks import publish
    from clickpro.services.teams import csat

    conv = db.session.get(Conversation, conversation_id)
    if conv is None or conv.client_id != client_id:
        return
    if status == "OPEN":
        csat.drop_pending(conv)
        return
    if status != "RESOLVED":
        return
    cycle = close_cycle(conv, conv.resolved_at or hours.now())
    if cycle is None:
        return
    try:
        publish(client_id, OutboundEvent.CONVERSATION_RESOLVED, cycle_data(conv, cycle))
    except Exception:
        db.session.rollback()
        log.exception("conversation.resolved webhook of %s", conv.id)
    csat.maybe_ask(conv, cycle)


def on_conversation_assigned(
    sender=None,
    *,
    client_id: int,
    conversation_id: int,
    team_id: int | None = None,
    previous_team_id: int | None = None,
    **_,
) -> None:
    """A team change recomputes the open cycle's deadlines with the new team's targets."""
    if team_id == previous_team_id:
        return
    cycle = open_cycle_of(client_id, conversation_id)
    if cycle is None:
        return
    compute_due(client_id, cycle, team_id)
    db.session.commit()
    send_safely(conversation_updated, client_id=client_id, conversation_id=conversation_id)
