"""Request and response models of /api/v1/teams and conversation assignment."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clickpro.blueprints.api.schemas import Strict
from clickpro.schemas.conversations import ConversationOut

Rule = Literal["manual", "round_robin", "least_busy"]
MAX_ID = 2**31 - 1


class TeamOut(BaseModel):
    id: int
    name: str
    number_id: int | None = Field(description="New conversations on this number go to the team.")
    assignment_rule: Rule
    max_open_per_agent: int | None = Field(
        description="Automatic assignment skips agents holding this many open conversations."
    )
    sla_first_response_minutes: int | None
    sla_resolution_minutes: int | None
    csat_enabled: bool
    member_ids: list[int]
    archived: bool
    archived_at: datetime | None
    created_at: datetime


class TeamList(BaseModel):
    data: list[TeamOut]


class TeamQuery(Strict):
    include_archived: bool = False


class TeamIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Financeiro",
                    "number_id": 1,
                    "assignment_rule": "round_robin",
                    "max_open_per_agent": 10,
                    "member_ids": [2, 3],
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=80)
    number_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    assignment_rule: Rule = "manual"
    max_open_per_agent: int | None = Field(default=None, ge=1, le=1000)
    sla_first_response_minutes: int | None = Field(default=None, ge=1, le=43200)
    sla_resolution_minutes: int | None = Field(default=None, ge=1, le=43200)
    csat_enabled: bool = False
    member_ids: list[int] = Field(default_factory=list, max_length=500)


class TeamPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=80)
    number_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    assignment_rule: Rule | None = None
    max_open_per_agent: int | None = Field(default=None, ge=1, le=1000)
    sla_first_response_minutes: int | None = Field(default=None, ge=1, le=43200)
    sla_resolution_minutes: int | None = Field(default=None, ge=1, le=43200)
    csat_enabled: bool | None = None


class TeamMember(BaseModel):
    id: int
    name: str
    email: str
    away: bool
    last_seen_at: str | None


class TeamMembersOut(BaseModel):
    data: list[TeamMember]


class TeamMembersIn(Strict):
    user_ids: list[int] = Field(max_length=500, description="The whole member list.")


class AssignIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"team_id": 1, "user_id": 2, "note": "Cliente VIP"}]},
    )

    team_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Omit: unchanged; null: no team."
    )
    user_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Omit: unchanged; null: unassigned."
    )
    note: str | None = Field(
        default=None, max_length=2000, description="A note makes it a transfer."
    )


class ConversationEventOut(BaseModel):
    id: int
    kind: str
    actor: str
    actor_user_id: int | None
    from_user_id: int | None
    to_user_id: int | None
    from_team_id: int | None
    to_team_id: int | None
    note: str | None
    created_at: str | None


class AssignOut(BaseModel):
    conversation: ConversationOut
    event: ConversationEventOut | None = Field(description="null: nothing changed.")


class HistoryOut(BaseModel):
    data: list[ConversationEventOut]
