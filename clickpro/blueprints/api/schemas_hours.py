"""Request and response models of /api/v1/business-hours (client and team)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from clickpro.blueprints.api.schemas import Strict

# Each string of the API is bounded (tests/foundation/test_length_limits.py): HH:MM.
Time = Annotated[str, StringConstraints(max_length=5)]
Day = Annotated[str, StringConstraints(max_length=10)]
Interval = list[Time]
WEEKLY_DOC = (
    'Monday = "0" … Sunday = "6"; each day a list of ["HH:MM", "HH:MM"] local intervals '
    '(several a day: a lunch break is two intervals; "24:00" ends at midnight). A missing '
    "day is closed."
)


class BusinessHoursIn(Strict):
    timezone: str | None = Field(
        None, max_length=64, description="IANA zone; null: the client's time zone."
    )
    weekly: dict[str, list[Interval]] = Field(default_factory=dict, description=WEEKLY_DOC)
    holidays: list[Day] = Field(
        default_factory=list, max_length=400, description="Closed days, YYYY-MM-DD."
    )
    off_hours_enabled: bool = False
    off_hours_message: str | None = Field(
        None,
        max_length=1000,
        description="Sent once per closed period; {abertura} becomes the next opening.",
    )


class BusinessHoursOut(BaseModel):
    team_id: int | None
    configured: bool = Field(description="False: nothing stored (always open, or inherited).")
    inherited: bool = Field(description="A team without its own row uses the client's hours.")
    timezone: str | None
    effective_timezone: str
    weekly: dict[str, list[Interval]]
    holidays: list[str]
    off_hours_enabled: bool
    off_hours_message: str | None
    open_now: bool
    next_opening: datetime | None
    next_opening_phrase: str | None
