"""Request bodies of the inbox JSON endpoints (pydantic 2, like /api/v1's).

Parsed by ``clickpro.blueprints.errors.parse_json_body``: bad JSON is a 400, a wrong
type or a missing field a 422 with ``details`` per field, in the /api/v1 error body.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from clickpro.blueprints.api.schemas import Id, Strict
from clickpro.blueprints.api.schemas_messaging import Variables
from clickpro.blueprints.limits import column_max
from clickpro.models import Label
from clickpro.services.inbox.actions import NOTE_MAX
from clickpro.services.messaging.outbound import TEXT_MAX  # Meta's text body limit


class TextIn(Strict):
    body: str = Field(max_length=TEXT_MAX, description="Free text (inside the 24 h window).")


class NoteIn(Strict):
    body: str = Field(max_length=NOTE_MAX)


class TemplateSendIn(Strict):
    template_id: Id
    values: Variables = Field(default_factory=Variables)


class AssignIn(Strict):
    user_id: Id | Literal["me"] | None = Field(
        default=None, description='A member\'s id, "me", or null to unassign.'
    )


class LabelsIn(Strict):
    label_ids: list[Id] = Field(max_length=100)


class StatusIn(Strict):
    status: str = Field(max_length=12, description="OPEN or RESOLVED.")


class AiPauseIn(Strict):
    paused: StrictBool


class LabelIn(Strict):
    name: str = Field(max_length=column_max(Label.name))
    color: str = Field(default="secondary", max_length=column_max(Label.color))
