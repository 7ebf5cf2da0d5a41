"""/api/v1/business-hours and /api/v1/teams/{id}/business-hours (``services.teams.hours``).

PUT replaces the whole row (client default, or the team's own); a team without its own
row uses the client's hours (``inherited``), a client without any is always open.
Another client's team is a 404.
"""

from __future__ import annotations

from clickpro.blueprints.api.auth import Caller
from clickpro.blueprints.api.registry import operation
from clickpro.blueprints.api.schemas_hours import BusinessHoursIn, BusinessHoursOut
from clickpro.services.teams import hours

T = "business hours"


def _out(state: dict) -> BusinessHoursOut:
    return BusinessHoursOut(**state)


@operation("/business-hours", "GET", summary="The client's business hours", tag=T,
           response=BusinessHoursOut)  # fmt: skip
def get_business_hours(caller: Caller):
    return _out(hours.hours_state(caller.client_id, None))


@operation("/business-hours", "PUT", summary="Replace the client's business hours", tag=T,
           body=BusinessHoursIn, response=BusinessHoursOut, errors=(415, 422))  # fmt: skip
def put_business_hours(caller: Caller, body: BusinessHoursIn):
    return _out(hours.save_hours(caller.client_id, None, body.model_dump()))


@operation("/teams/<int:team_id>/business-hours", "GET", summary="A team's business hours",
           tag=T, response=BusinessHoursOut, errors=(404,))  # fmt: skip
def get_team_business_hours(caller: Caller, team_id: int):
    return _out(hours.hours_state(caller.client_id, team_id))


@operation("/teams/<int:team_id>/business-hours", "PUT",
           summary="Replace a team's business hours", tag=T, body=BusinessHoursIn,
           response=BusinessHoursOut, errors=(404, 415, 422))  # fmt: skip
def put_team_business_hours(caller: Caller, team_id: int, body: BusinessHoursIn):
    return _out(hours.save_hours(caller.client_id, team_id, body.model_dump()))
