"""Inbox transfer and history endpoints (#18/#19): hand a conversation to another team
and/or agent with an internal note, and read the conversation's history.

``POST /inbox/api/conversations/<id>/transfer`` ``{"team_id", "user_id", "note"}``: a key
left out keeps that field, ``null`` clears it (``clickpro.services.teams.assignment``
checks the team and agent belong to the client: another client's team is a 404, another
client's agent a 422). ``GET .../events``: the ConversationEvent rows with names.
``GET /inbox/api/teams``: the client's active teams with their members (the dialog).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user
from pydantic import Field

from clickpro.blueprints.api.schemas import Id, Strict
from clickpro.blueprints.errors import parse_json_body
from clickpro.blueprints.inbox.routes import bp
from clickpro.extensions import db
from clickpro.guards import client_required
from clickpro.models import ClientMember, User
from clickpro.models.teams import ConversationEvent, Team, TeamMember
from clickpro.schemas.loaders import user_names
from clickpro.services.inbox import serialize as ser
from clickpro.services.teams import assignment
from clickpro.tenancy import require_client


class TransferIn(Strict):
    team_id: Id | None = None
    user_id: Id | None = None
    note: str | None = Field(default=None, max_length=assignment.NOTE_MAX)


def _team_names(client_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Team.id, Team.name).where(Team.client_id == client_id, Team.id.in_(ids))
    )
    return {tid: name for tid, name in rows}


def events_json(client_id: int, events: list[ConversationEvent]) -> list[dict[str, Any]]:
    """History rows with the names of the people and teams (one query each)."""
    people = user_names(
        uid for e in events for uid in (e.actor_user_id, e.from_user_id, e.to_user_id)
    )
    teams = _team_names(
        client_id, {tid for e in events for tid in (e.from_team_id, e.to_team_id) if tid}
    )
    items = []
    for event in events:
        row = assignment.event_dict(event)
        row["actor_name"] = people.get(event.actor_user_id or 0)
        row["from_user_name"] = people.get(event.from_user_id or 0)
        row["to_user_name"] = people.get(event.to_user_id or 0)
        row["from_team_name"] = teams.get(event.from_team_id or 0)
        row["to_team_name"] = teams.get(event.to_team_id or 0)
        row["data"] = event.data or {}
        items.append(row)
    return items


@bp.get("/api/conversations/<int:conversation_id>/events")
@client_required
def conversation_events(conversation_id: int):
    client = require_client()
    return jsonify(items=events_json(client.id, assignment.history(client.id, conversation_id)))


@bp.post("/api/conversations/<int:conversation_id>/transfer")
@client_required
def transfer(conversation_id: int):
    client = require_client()
    data: TransferIn = parse_json_body(TransferIn)
    given = data.model_fields_set
    assignment.assign(
        client.id,
        conversation_id,
        team_id=data.team_id if "team_id" in given else assignment.KEEP,
        user_id=data.user_id if "user_id" in given else assignment.KEEP,
        actor_user_id=current_user.id,
        actor="user",
        note=data.note,
    )
    conv = assignment.conversation_of(client.id, conversation_id)
    events = assignment.history(client.id, conv.id)
    return jsonify(conversation=ser.conversation(conv), events=events_json(client.id, events))


@bp.get("/api/teams")
@client_required
def inbox_teams():
    """Active teams with their active members (transfer dialog), and every agent."""
    client = require_client()
    teams = list(
        db.session.scalars(
            sa.select(Team)
            .where(Team.client_id == client.id, Team.archived_at.is_(None))
            .order_by(Team.name)
        )
    )
    members: dict[int, list[int]] = {t.id: [] for t in teams}
    if teams:
        rows = db.session.execute(
            sa.select(TeamMember.team_id, TeamMember.user_id)
            .join(
                ClientMember,
                sa.and_(
                    ClientMember.user_id == TeamMember.user_id,
                    ClientMember.client_id == client.id,
                    ClientMember.is_active.is_(True),
                ),
            )
            .where(TeamMember.team_id.in_(list(members)))
        )
        for team_id, user_id in rows:
            members[team_id].append(user_id)
    agents = db.session.execute(
        sa.select(User.id, User.name, User.email)
        .join(ClientMember, ClientMember.user_id == User.id)
        .where(ClientMember.client_id == client.id, ClientMember.is_active.is_(True))
        .order_by(User.name)
    )
    return jsonify(
        teams=[{"id": t.id, "name": t.name, "member_ids": members[t.id]} for t in teams],
        agents=[{"id": uid, "name": name or email} for uid, name, email in agents],
        me=current_user.id,
    )
