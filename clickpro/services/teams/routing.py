"""Automatic routing: a new conversation goes to the team of its number, and the team's
rule picks the agent.

* ``manual``: the conversation waits unassigned in the team's queue;
* ``round_robin``: members in a stable order (user id), starting after the one who got
  the last automatic assignment (``teams.last_assigned_user_id``);
* ``least_busy``: the member with the fewest OPEN conversations among those online
  (``client_members.last_seen_at`` within :data:`ONLINE_WINDOW`).

Both automatic rules skip members who are away (``client_members.away_since``) or who
already hold ``max_open_per_agent`` open conversations; with nobody eligible the
conversation stays unassigned in the team's queue. The pick runs under a
``SELECT … FOR UPDATE`` of the team row (PostgreSQL), so two conversations opening at
once never read the same cursor or the same counts: they are served one after the other.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import ClientMember, Conversation
from clickpro.models.base import utcnow
from clickpro.models.teams import AssignmentRule, ConversationEvent, Team, TeamMember
from clickpro.services.teams import assignment
from clickpro.services.teams.errors import TeamNotFound

log = logging.getLogger(__name__)

ONLINE_WINDOW = timedelta(minutes=3)


def _lock_team(team_id: int) -> Team:
    stmt = sa.select(Team).where(Team.id == team_id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    team = db.session.scalar(stmt)
    if team is None:  # deleted between the lookup and the lock
        raise TeamNotFound(_("Equipe não encontrada."))
    return team


def eligible_members(team: Team, *, online_only: bool) -> list[tuple[int, int]]:
    """``(user_id, open_count)`` of members who may get a conversation now, by user id."""
    stmt = (
        sa.select(TeamMember.user_id, ClientMember.last_seen_at)
        .join(
            ClientMember,
            sa.and_(
                ClientMember.user_id == TeamMember.user_id,
                ClientMember.client_id == team.client_id,
            ),
        )
        .where(
            TeamMember.team_id == team.id,
            ClientMember.is_active.is_(True),
            ClientMember.away_since.is_(None),
        )
        .order_by(TeamMember.user_id)
    )
    rows = db.session.execute(stmt).all()
    if online_only:
        since = utcnow() - ONLINE_WINDOW
        rows = [r for r in rows if r.last_seen_at is not None and r.last_seen_at >= since]
    ids = [r.user_id for r in rows]
    if not ids:
        return []
    counts = dict(
        db.session.execute(
            sa.select(Conversation.assigned_user_id, sa.func.count())
            .where(
                Conversation.client_id == team.client_id,
                Conversation.assigned_user_id.in_(ids),
                Conversation.status == "OPEN",
            )
            .group_by(Conversation.assigned_user_id)
        ).all()
    )
    cap = team.max_open_per_agent
    return [(uid, counts.get(uid, 0)) for uid in ids if cap is None or counts.get(uid, 0) < cap]


def _rotation(ids: list[int], last: int | None) -> list[int]:
    """``ids`` (sorted) starting right after ``last``."""
    if last is None:
        return ids
    return [i for i in ids if i > last] + [i for i in ids if i <= last]


def pick_agent(team: Team) -> int | None:
    """The agent the team's rule gives the next conversation (None: stays in the queue).

    Call with the team row locked (:func:`_lock_team`); moves the round-robin cursor.
    """
    rule = team.assignment_rule
    if rule == AssignmentRule.ROUND_ROBIN:
        candidates = eligible_members(team, online_only=False)
        order = _rotation([uid for uid, _count in candidates], team.last_assigned_user_id)
        chosen = order[0] if order else None
    elif rule == AssignmentRule.LEAST_BUSY:
        candidates = eligible_members(team, online_only=True)
        order = _rotation([uid for uid, _count in candidates], team.last_assigned_user_id)
        counts = dict(candidates)
        # Fewest open first; a tie goes on in round-robin order.
        chosen = min(order, key=lambda uid: (counts[uid], order.index(uid))) if order else None
    else:
        return None
    if chosen is not None:
        team.last_assigned_user_id = chosen
    return chosen


def _route(
    client_id: int,
    conversation_id: int,
    team_id: int,
    *,
    actor: str,
    actor_user_id: int | None = None,
    note: str | None = None,
    keep_agent_in_team: bool = False,
) -> ConversationEvent | None:
    team = _lock_team(team_id)
    conv = assignment.conversation_of(client_id, conversation_id)
    user_id = None
    if (
        keep_agent_in_team
        and conv.assigned_user_id is not None
        and assignment.is_team_member(team.id, conv.assigned_user_id)
    ):
        user_id = conv.assigned_user_id
    else:
        user_id = pick_agent(team)
    try:
        event = assignment.assign(
            client_id,
            conv.id,
            team_id=team.id,
            user_id=user_id,
            actor=actor,
            actor_user_id=actor_user_id,
            note=note,
            commit=False,
        )
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()  # releases the team row lock
    if event is not None:
        assignment.announce(event)
    return event


def team_for_number(client_id: int, number_id: int | None) -> Team | None:
    if number_id is None:
        return None
    return db.session.scalar(
        sa.select(Team)
        .where(
            Team.client_id == client_id,
            Team.number_id == number_id,
            Team.archived_at.is_(None),
        )
        .order_by(Team.id)
        .limit(1)
    )


def route_opened(client_id: int, conversation_id: int, number_id: int | None = None):
    """A conversation started a new open cycle: give it its number's team and an agent.

    A conversation that already has an agent of that team keeps them (the customer
    comes back to the person who helped last time).
    """
    conv = None
    if number_id is None:  # the signal names the number: the team is looked up first
        conv = assignment.conversation_of(client_id, conversation_id)
        number_id = conv.number_id
    team = team_for_number(client_id, number_id)
    if team is None:
        return None  # no team for the number (the common case): nothing else read
    if conv is None:
        conv = assignment.conversation_of(client_id, conversation_id)
    if conv.team_id == team.id and conv.assigned_user_id is not None:
        return None
    return _route(client_id, conv.id, team.id, actor="rule", keep_agent_in_team=True)


def find_team(client_id: int, team_name_or_id) -> Team:
    """An active team by id or by name (case and spacing ignored)."""
    if isinstance(team_name_or_id, int) or str(team_name_or_id).strip().isdigit():
        return assignment.active_team(client_id, team_name_or_id, field="team")
    name = " ".join(str(team_name_or_id or "").split()).lower()
    team = db.session.scalar(
        sa.select(Team).where(
            Team.client_id == client_id,
            Team.archived_at.is_(None),
            sa.func.lower(Team.name) == name,
        )
    )
    if team is None:
        raise TeamNotFound(_("Equipe não encontrada."), field="team")
    return team


def route_to_team(
    client_id: int,
    conversation_id,
    team_name_or_id,
    actor: str = "flow",
    *,
    actor_user_id: int | None = None,
    note: str | None = None,
) -> ConversationEvent | None:
    """Hand the conversation to a team ("transferir para o Financeiro"): the team's rule
    picks the agent, else it waits in the team's queue."""
    team = find_team(client_id, team_name_or_id)
    conv = assignment.conversation_of(client_id, conversation_id)
    return _route(client_id, conv.id, team.id, actor=actor, actor_user_id=actor_user_id, note=note)


def on_conversation_opened(sender, *, client_id, conversation_id, number_id=None, **_kw):
    """Receiver of ``conversation_opened``."""
    try:
        route_opened(client_id, conversation_id, number_id)
    except Exception:
        db.session.rollback()
        log.exception("routing conversation %s failed", conversation_id)
