"""Request and response models of /api/v1/flows (chatbot flows, issue #20)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, model_validator

from clickpro.blueprints.api.schemas import PHONE_INPUT_MAX, Bsuid, Id, Strict, field_error

TemplateKey = Literal["menu_atendimento", "pre_atendimento_cpf", "pesquisa_satisfacao"]
GRAPH_DOC = (
    "A flow graph, schema 1 (see the flows documentation): start, settings, triggers, steps."
)
MAX_VARIABLES = 50
VARIABLE_NAME_MAX = 64
VARIABLE_VALUE_MAX = 1000
VariableName = Annotated[str, Field(max_length=VARIABLE_NAME_MAX)]
VariableValue = Annotated[str, Field(max_length=VARIABLE_VALUE_MAX)] | int | float | bool | None


class ProblemOut(BaseModel):
    step_id: str | None
    field: str
    level: Literal["error", "warning"]
    message: str


class VersionOut(BaseModel):
    id: int
    number: int = Field(description="1, 2, ... per flow.")
    note: str
    published_at: datetime
    published_by_id: int | None


class VersionDetail(VersionOut):
    graph: dict[str, Any] = Field(description=GRAPH_DOC)


class VersionList(BaseModel):
    data: list[VersionOut] = Field(description="Newest first.")


class FlowOut(BaseModel):
    id: int
    name: str
    description: str
    number_id: int | None = Field(description="Only this number's conversations (null: any).")
    enabled: bool = Field(description="Off: published, but its triggers do not fire.")
    archived: bool
    template_key: str | None
    published_version: VersionOut | None
    draft_updated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class FlowList(BaseModel):
    data: list[FlowOut]


class FlowDetail(FlowOut):
    draft: dict[str, Any] = Field(description=GRAPH_DOC)
    published_version: VersionDetail | None
    problems: list[ProblemOut] = Field(
        default_factory=list,
        description="The draft's problems (errors block publishing; warnings do not), and "
        "on create the ids dropped because they are not the client's.",
    )


class FlowListQuery(Strict):
    include_archived: bool = False


class FlowIn(Strict):
    """An exported flow (``clickpro_flow: 1``), ``{"name", "graph"}``, or a template."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Menu",
                    "graph": {
                        "schema": 1,
                        "start": "menu",
                        "triggers": [{"kind": "keyword", "keywords": ["menu"], "match": "exact"}],
                        "steps": {
                            "menu": {
                                "type": "send",
                                "message": {"kind": "text", "text": "Olá!"},
                                "next": "fim",
                            },
                            "fim": {"type": "end"},
                        },
                    },
                },
                {"template": "menu_atendimento"},
            ]
        },
    )

    clickpro_flow: Literal[1] | None = Field(default=None, description="Export format.")
    name: str | None = Field(default=None, min_length=1, max_length=80)
    description: str = Field(default="", max_length=500)
    template_key: str | None = Field(default=None, max_length=40)
    graph: dict[str, Any] | None = Field(default=None, description=GRAPH_DOC)
    template: TemplateKey | None = Field(
        default=None, description="Create from a ready-made pt_BR template instead of a graph."
    )
    number_id: Id | None = None

    @model_validator(mode="after")
    def _one_source(self) -> FlowIn:
        if (self.graph is None) == (self.template is None):
            message = _("Informe graph ou template (exatamente um dos dois).")
            raise field_error("FlowIn", "graph", message)
        if self.graph is not None and not self.name:
            raise field_error("FlowIn", "name", _("Dê um nome ao fluxo."))
        return self


class PublishQuery(Strict):
    note: str = Field(default="", max_length=200, description="What changed (shown in versions).")


class RunIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"phone": "+55 11 99999-0000", "variables": {"pedido": "12345"}}]
        },
    )

    contact_id: Id | None = None
    phone: str | None = Field(default=None, min_length=1, max_length=PHONE_INPUT_MAX)
    bsuid: Bsuid | None = None
    number_id: Id | None = Field(
        default=None, description="The client's number (default: the flow's, else the first)."
    )
    variables: dict[VariableName, VariableValue] = Field(
        default_factory=dict,
        description="Starting variables ({{name}} in the flow's texts): names up to 64 "
        "characters, texts up to 1000.",
        max_length=MAX_VARIABLES,
    )

    @model_validator(mode="after")
    def _one_contact(self) -> RunIn:
        given = [x for x in (self.contact_id, self.phone, self.bsuid) if x]
        if len(given) != 1:
            message = _("Informe contact_id, phone ou bsuid (exatamente um).")
            raise field_error("RunIn", "contact_id", message)
        return self


class RunStepOut(BaseModel):
    seq: int
    step_id: str
    step_type: str
    outcome: str
    created_at: datetime


class RunOut(BaseModel):
    id: int
    flow_id: int
    version_id: int | None
    mode: Literal["live", "simulator"]
    status: str = Field(
        description="running, waiting_input, waiting_timer, completed, handed_off, exited, "
        "abandoned, failed."
    )
    trigger: str
    conversation_id: int | None
    contact_id: int | None
    current_step: str | None
    variables: dict[str, Any]
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    started_by_id: int | None


class RunDetail(RunOut):
    steps: list[RunStepOut] = Field(description="The journal, oldest first (up to 500).")
