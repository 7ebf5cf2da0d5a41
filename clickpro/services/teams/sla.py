"""SLA breaches: a periodic job marks each late cycle once and tells the team's admins.

"The team's admins" are the client admins who are members of the cycle's team, each
told personally; a team without one (or a cycle without a team) tells every admin of
the client, so a breach is never told to nobody.

A cycle breaches its first-response target when ``first_response_due_at`` passed with
no agent/AI reply, and its resolution target when ``resolution_due_at`` passed while it
is still open (a reply or resolution that comes late marks the flag when it happens,
see :mod:`.cycles`, without a notification: it is already handled). Marking is a
conditional UPDATE (``… AND NOT breached``), so two job runs at once notify once; the
notification's ``dedupe_key`` (cycle + kind) is a second guard.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db, rowcount
from clickpro.models import (
    Audience,
    ClientMember,
    Conversation,
    ConversationCycle,
    ConversationEvent,
    ConversationEventKind,
    Role,
    Team,
    TeamMember,
)
from clickpro.services.teams import hours

log = logging.getLogger(__name__)
_cycles = ConversationCycle.__table__
FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
BATCH = 500


def _due_ids(kind: str, now: datetime) -> list[int]:
    c = ConversationCycle
    if kind == FIRST_RESPONSE:
        cond = [
            c.first_response_due_at.is_not(None),
            c.first_response_due_at <= now,
            c.first_response_at.is_(None),
            c.first_response_breached.is_(False),
        ]
    else:
        cond = [
            c.resolution_due_at.is_not(None),
            c.resolution_due_at <= now,
            c.resolution_breached.is_(False),
        ]
    stmt = sa.select(c.id).where(c.resolved_at.is_(None), *cond).order_by(c.id).limit(BATCH)
    return list(db.session.scalars(stmt))


def _mark(cycle_id: int, kind: str) -> bool:
    c = _cycles.c
    flag = c.first_response_breached if kind == FIRST_RESPONSE else c.resolution_breached
    done = rowcount(
        db.session.execute(
            sa.update(_cycles)
            .where(c.id == cycle_id, flag.is_(False), c.resolved_at.is_(None))
            .values({flag.key: True})
        )
    )
    return bool(done)


def _notify(cycle: ConversationCycle, kind: str) -> None:
    from clickpro.services.accounts.notifications import announce, notify

    conv = db.session.get(Conversation, cycle.conversation_id)
    team = db.session.get(Team, cycle.team_id) if cycle.team_id else None
    team_name = team.name if team else _("sem equipe")
    if kind == FIRST_RESPONSE:
        text = _("SLA de primeira resposta estourado (%(team)s).", team=team_name)
    else:
        text = _("SLA de resolução estourado (%(team)s).", team=team_name)
    db.session.add(
        ConversationEvent(
            client_id=cycle.client_id,
            conversation_id=cycle.conversation_id,
            kind=ConversationEventKind.SLA_BREACHED,
            actor="system",
            data={"kind": kind, "cycle_id": cycle.id, "team_id": cycle.team_id},
        )
    )
    key = f"sla:{cycle.id}:{kind}"
    admins: list[int | None] = list(_team_admins(cycle.client_id, cycle.team_id))
    notes = []
    for user_id in admins or [None]:
        note = notify(
            cycle.client_id,
            "sla_breached",
            text,
            contact_id=conv.contact_id if conv else None,
            user_id=user_id,
            audience=Audience.ADMINS,
            dedupe_key=f"{key}:u{user_id}" if user_id else key,
            commit=False,
        )
        if note is not None and conv is not None:
            note.conversation_id = conv.id
        if note is not None:
            notes.append(note)
    db.session.commit()
    for note in notes:
        announce(note)


def _team_admins(client_id: int, team_id: int | None) -> list[int]:
    """Active client admins who are members of the team (empty: tell every admin)."""
    if team_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(TeamMember.user_id)
            .join(ClientMember, ClientMember.user_id == TeamMember.user_id)
            .where(TeamMember.team_id == team_id, ClientMember.client_id == client_id,
                   ClientMember.role == Role.CLIENT_ADMIN, ClientMember.is_active.is_(True))
            .order_by(TeamMember.user_id)
        )
    )  # fmt: skip


def check_breaches(now: datetime | None = None) -> int:
    """Mark and notify every newly breached cycle (all clients); how many were marked."""
    now = now or hours.now()
    marked = 0
    for kind in (FIRST_RESPONSE, RESOLUTION):
        for cycle_id in _due_ids(kind, now):
            try:
                if not _mark(cycle_id, kind):
                    db.session.rollback()
                    continue
                cycle = db.session.get(ConversationCycle, cycle_id)
                assert cycle is not None
                _notify(cycle, kind)
                marked += 1
            except Exception:
                db.session.rollback()
                log.exception("SLA breach of cycle %s (%s)", cycle_id, kind)
    return marked
