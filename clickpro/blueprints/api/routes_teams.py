"""/api/v1/teams and conversation assignment (``services.teams``).

DELETE archives a team (its history stays; its conversations go back to the general
queue). ``POST /conversations/{id}/assign`` changes the team and/or the agent: a field
left out is unchanged, ``null`` clears it; a ``note`` makes it a transfer. Every change
is a history row (``GET /conversations/{id}/history``) and a ``conversation.assigned``
outbound webhook.
"""

from __future__ import annotations

from flask_babel import gettext as _

from clickpro.blueprints.api.auth import Caller
from clickpro.blueprints.api.registry import not_found, operation
from clickpro.blueprints.api.schemas_teams import (
    AssignIn,
    AssignOut,
    ConversationEventOut,
    HistoryOut,
    TeamIn,
    TeamList,
    TeamMembersIn,
    TeamMembersOut,
    TeamOut,
    TeamPatch,
    TeamQuery,
)
from clickpro.models.teams import Team
from clickpro.schemas import conversation_shapes
from clickpro.schemas.conversations import ConversationOut
from clickpro.services.teams import assignment
from clickpro.services.teams import teams as team_service
from clickpro.services.teams.errors import TeamNotFound

T = "teams"
TC = "conversations"


def team_out(team: Team) -> TeamOut:
    return TeamOut(
        id=team.id,
        name=team.name,
        number_id=team.number_id,
        assignment_rule=team.assignment_rule,
        max_open_per_agent=team.max_open_per_agent,
        sla_first_response_minutes=team.sla_first_response_minutes,
        sla_resolution_minutes=team.sla_resolution_minutes,
        csat_enabled=team.csat_enabled,
        member_ids=team_service.member_ids(team.id),
        archived=team.archived_at is not None,
        archived_at=team.archived_at,
        created_at=team.created_at,
    )


def _team(caller: Caller, team_id: int) -> Team:
    try:
        return team_service.get_team(caller.client_id, team_id)
    except TeamNotFound:
        raise not_found(message=_("Equipe não encontrada.")) from None


def _conversation_out(caller: Caller, conversation_id: int) -> ConversationOut:
    try:
        conv = assignment.conversation_of(caller.client_id, conversation_id)
    except TeamNotFound:
        raise not_found(message=_("Conversa não encontrada.")) from None
    return conversation_shapes([conv])[0]


@operation("/teams", "GET", summary="List the client's teams", tag=T, query=TeamQuery,
           response=TeamList, errors=(422,))  # fmt: skip
def list_teams(caller: Caller, query: TeamQuery):
    rows = team_service.list_teams(caller.client_id, include_archived=query.include_archived)
    return TeamList(data=[team_out(r.team) for r in rows])


@operation("/teams", "POST", summary="Create a team", tag=T, body=TeamIn, response=TeamOut,
           status=201, errors=(409, 415, 422), idempotent=True)  # fmt: skip
def create_team(caller: Caller, body: TeamIn):
    """``member_ids`` must be active members of the client; a number serves one team."""
    team = team_service.create_team(caller.client_id, body.model_dump())
    return team_out(team), 201


@operation("/teams/<int:team_id>", "GET", summary="Get a team", tag=T, response=TeamOut,
           errors=(404,))  # fmt: skip
def get_team(caller: Caller, team_id: int):
    return team_out(_team(caller, team_id))


@operation("/teams/<int:team_id>", "PATCH", summary="Change a team", tag=T, body=TeamPatch,
           response=TeamOut, errors=(404, 409, 415, 422))  # fmt: skip
def patch_team(caller: Caller, team_id: int, body: TeamPatch):
    """Only the fields sent change; ``null`` clears number, cap and SLA targets."""
    team = _team(caller, team_id)
    sent = body.model_fields_set
    data = {k: v for k, v in body.model_dump().items() if k in sent}
    for required in ("name", "assignment_rule", "csat_enabled"):
        if required in data and data[required] is None:
            data.pop(required)
    return team_out(team_service.update_team(caller.client_id, team.id, data))


@operation("/teams/<int:team_id>", "DELETE", summary="Archive a team", tag=T, status=204,
           errors=(404,))  # fmt: skip
def delete_team(caller: Caller, team_id: int):
    """No more routing to it; its conversations go back to the general queue."""
    team_service.archive_team(caller.client_id, _team(caller, team_id).id)
    return None


@operation("/teams/<int:team_id>/members", "GET", summary="The team's members", tag=T,
           response=TeamMembersOut, errors=(404,))  # fmt: skip
def get_team_members(caller: Caller, team_id: int):
    return TeamMembersOut(data=team_service.members(caller.client_id, _team(caller, team_id).id))


@operation("/teams/<int:team_id>/members", "PUT", summary="Replace the team's members",
           tag=T, body=TeamMembersIn, response=TeamMembersOut,
           errors=(404, 409, 415, 422))  # fmt: skip
def put_team_members(caller: Caller, team_id: int, body: TeamMembersIn):
    team = _team(caller, team_id)
    team_service.set_members(caller.client_id, team.id, body.user_ids)
    return TeamMembersOut(data=team_service.members(caller.client_id, team.id))


@operation("/conversations/<int:conversation_id>", "GET", summary="Get a conversation",
           tag=TC, response=ConversationOut, errors=(404,))  # fmt: skip
def get_conversation(caller: Caller, conversation_id: int):
    return _conversation_out(caller, conversation_id)


@operation("/conversations/<int:conversation_id>/assign", "POST",
           summary="Assign a conversation to a team and/or an agent", tag=TC, body=AssignIn,
           response=AssignOut, errors=(404, 415, 422))  # fmt: skip
def assign_conversation(caller: Caller, conversation_id: int, body: AssignIn):
    """Omitted fields are unchanged, ``null`` clears. The agent must be an active member
    of the client and, with a team, a member of that team."""
    sent = body.model_fields_set
    try:
        assignment.conversation_of(caller.client_id, conversation_id)
    except TeamNotFound:
        raise not_found(message=_("Conversa não encontrada.")) from None
    try:
        event = assignment.assign(
            caller.client_id,
            conversation_id,
            team_id=body.team_id if "team_id" in sent else assignment.KEEP,
            user_id=body.user_id if "user_id" in sent else assignment.KEEP,
            note=body.note,
            actor="api",
        )
    except TeamNotFound as exc:  # a team of another client: a bad field, not a missing path
        exc.http_status = 422
        exc.code = "validation_error"
        raise
    return AssignOut(
        conversation=_conversation_out(caller, conversation_id),
        event=ConversationEventOut(**assignment.event_dict(event)) if event else None,
    )


@operation("/conversations/<int:conversation_id>/history", "GET", tag=TC,
           summary="Assignment, transfer and status history of a conversation",
           response=HistoryOut, errors=(404,))  # fmt: skip
def conversation_history(caller: Caller, conversation_id: int):
    """Oldest first."""
    try:
        rows = assignment.history(caller.client_id, conversation_id)
    except TeamNotFound:
        raise not_found(message=_("Conversa não encontrada.")) from None
    return HistoryOut(data=[ConversationEventOut(**assignment.event_dict(e)) for e in rows])
