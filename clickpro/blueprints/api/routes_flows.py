"""/api/v1/flows: chatbot flows (``services.flows``) — list, create from JSON, publish,
versions, and starting a flow for a contact.

``POST /flows`` takes what ``GET /flows/{id}`` exports in ``draft`` (or the panel's
"Exportar" file, ``clickpro_flow: 1``), ``{"name", "graph"}``, or ``{"template": key}``.
Ids inside the graph (labels, teams, agents, numbers, campaigns) that are not the
caller's are dropped and reported in ``problems``. A flow body is at most
``FLOW_BODY_MAX`` bytes (413), a graph at most 256 KB (422).

``POST /flows/{id}/runs`` starts the published version on the contact's conversation
(``trigger`` manual): 409 ``conversation_busy`` when that conversation is already in a
flow, 409 ``flow_not_published`` before the first publish.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _

from clickpro.blueprints.api.auth import ApiError, Caller
from clickpro.blueprints.api.registry import not_found, operation, v1
from clickpro.blueprints.api.routes_contacts import find_contact
from clickpro.blueprints.api.schemas_flows import (
    FlowDetail,
    FlowIn,
    FlowList,
    FlowListQuery,
    FlowOut,
    ProblemOut,
    PublishQuery,
    RunDetail,
    RunIn,
    RunOut,
    RunStepOut,
    VersionDetail,
    VersionList,
    VersionOut,
)
from clickpro.extensions import db
from clickpro.models import Contact
from clickpro.models.flows import Flow, FlowRun, FlowRunStep, FlowTriggerKind, FlowVersion
from clickpro.services.credentials import NoCredentials
from clickpro.services.flows import errors as flow_errors
from clickpro.services.flows import library, versions
from clickpro.services.messaging import sender
from clickpro.tenancy import get_owned

T = "flows"
FLOW_BODY_MAX = 512 * 1024
JOURNAL_MAX = 500
BODY_LIMITED = frozenset({"create_flow"})


@v1.before_request
def _flow_body_cap():
    """413 before a flow body is parsed: a graph is ≤ 256 KB, the JSON around it small."""
    if (request.endpoint or "").rpartition(".")[2] not in BODY_LIMITED:
        return None
    size = request.content_length
    if size is None:  # chunked: read (and keep for the view) up to MAX_CONTENT_LENGTH
        size = len(request.get_data(cache=True))
    if size > FLOW_BODY_MAX:
        raise ApiError(413, "payload_too_large", _("Corpo grande demais para um fluxo (máximo %(kb)s KB).", kb=FLOW_BODY_MAX // 1024))  # fmt: skip
    return None


def _flow_error(exc: flow_errors.FlowError) -> ApiError:
    """The runtime's errors (plain exceptions) in the API error shape."""
    status = {
        flow_errors.FlowNotFound: (404, "not_found"),
        flow_errors.RunNotFound: (404, "not_found"),
        flow_errors.ConversationNotFound: (404, "not_found"),
        flow_errors.ConversationBusy: (409, "conversation_busy"),
        flow_errors.FlowNotPublished: (409, "flow_not_published"),
        flow_errors.FlowInvalid: (422, "flow_invalid"),
    }
    http, code = next(
        (value for kind, value in status.items() if isinstance(exc, kind)), (422, "flow_error")
    )
    details = {}
    if isinstance(exc, flow_errors.FlowInvalid):
        details["problems"] = [p.as_dict() for p in exc.problems]
    return ApiError(http, code, str(exc), details)


def _version_out(version: FlowVersion) -> VersionOut:
    return VersionOut(
        id=version.id,
        number=version.number,
        note=version.note,
        published_at=version.published_at,
        published_by_id=version.published_by_id,
    )


def _published(flows: list[Flow]) -> dict[int, FlowVersion]:
    ids = [f.published_version_id for f in flows if f.published_version_id]
    if not ids:
        return {}
    return {
        v.id: v for v in db.session.scalars(sa.select(FlowVersion).where(FlowVersion.id.in_(ids)))
    }


def _flow_fields(flow: Flow) -> dict:
    return {
        "id": flow.id,
        "name": flow.name,
        "description": flow.description,
        "number_id": flow.number_id,
        "enabled": flow.enabled,
        "archived": flow.archived_at is not None,
        "template_key": flow.template_key,
        "draft_updated_at": flow.draft_updated_at,
        "created_at": flow.created_at,
        "updated_at": flow.updated_at,
    }


def _flow_detail(caller: Caller, flow: Flow, problems: list | None = None) -> FlowDetail:
    version = versions.published_version(flow)
    if problems is None:
        problems = versions.validate(flow.draft or {})
    return FlowDetail(
        **_flow_fields(flow),
        draft=flow.draft or {},
        published_version=(
            VersionDetail(**_version_out(version).model_dump(), graph=version.graph)
            if version is not None
            else None
        ),
        problems=[ProblemOut(**p.as_dict()) for p in problems],
    )


def _flow(caller: Caller, flow_id: int) -> Flow:
    try:
        return versions.get_flow(caller.client_id, flow_id)
    except flow_errors.FlowNotFound:
        raise not_found(message=_("Fluxo não encontrado.")) from None


@operation("/flows", "GET", summary="List the client's flows", tag=T, query=FlowListQuery,
           response=FlowList, errors=(422,))  # fmt: skip
def list_flows(caller: Caller, query: FlowListQuery):
    flows = versions.list_flows(caller.client_id, include_archived=query.include_archived)
    published = _published(flows)
    return FlowList(
        data=[
            FlowOut(
                **_flow_fields(f),
                published_version=(
                    _version_out(published[f.published_version_id])
                    if f.published_version_id in published
                    else None
                ),
            )
            for f in flows
        ]
    )


@operation("/flows", "POST", summary="Create a flow from JSON (an export, a graph or a template)",
           tag=T, body=FlowIn, response=FlowDetail, status=201,
           errors=(409, 413, 415, 422), idempotent=True)  # fmt: skip
def create_flow(caller: Caller, body: FlowIn):
    """The new flow is unpublished. A taken name gets " (cópia)"."""
    if body.template is not None:
        flow = library.create_from_template(
            caller.client_id,
            body.template,
            user_id=None,
            number_id=body.number_id,
            name=body.name,
        )
        return _flow_detail(caller, flow), 201
    document = body.model_dump(include={"name", "description", "template_key", "graph"})
    flow = versions.import_flow(caller.client_id, document, user_id=None, number_id=body.number_id)
    dropped = list(getattr(flow, "import_problems", []))
    return _flow_detail(caller, flow, dropped + versions.validate(flow.draft)), 201


@operation("/flows/<int:flow_id>", "GET", summary="A flow: its draft and its published version",
           tag=T, response=FlowDetail, errors=(404,))  # fmt: skip
def get_flow(caller: Caller, flow_id: int):
    return _flow_detail(caller, _flow(caller, flow_id))


@operation("/flows/<int:flow_id>/publish", "POST", summary="Publish the draft as a new version",
           tag=T, query=PublishQuery, response=VersionOut, status=201,
           errors=(404, 409, 422))  # fmt: skip
def publish_flow(caller: Caller, flow_id: int, query: PublishQuery):
    """422 ``flow_invalid`` with ``details.problems`` when the draft has errors. Runs in
    progress keep the version they started on."""
    flow = _flow(caller, flow_id)
    version = versions.publish(caller.client_id, flow.id, user_id=None, note=query.note)
    return _version_out(version), 201


@operation("/flows/<int:flow_id>/versions", "GET", summary="The flow's published versions",
           tag=T, response=VersionList, errors=(404,))  # fmt: skip
def list_flow_versions(caller: Caller, flow_id: int):
    flow = _flow(caller, flow_id)
    return VersionList(data=[_version_out(v) for v in versions.list_versions(caller.client_id, flow.id)])  # fmt: skip


def _contact(caller: Caller, body: RunIn) -> Contact:
    contact = (
        get_owned(Contact, body.contact_id, caller.client_id)
        if body.contact_id
        else find_contact(caller.client_id, body.phone, body.bsuid)
    )
    if contact is None:
        raise not_found(message=_("Contato não encontrado."))
    return contact


def run_out(run: FlowRun) -> RunOut:
    return RunOut(
        id=run.id,
        flow_id=run.flow_id,
        version_id=run.version_id,
        mode=run.mode,
        status=run.status,
        trigger=run.trigger,
        conversation_id=run.conversation_id,
        contact_id=run.contact_id,
        current_step=run.current_step,
        variables=run.variables or {},
        started_at=run.started_at,
        ended_at=run.ended_at,
        end_reason=run.end_reason,
        started_by_id=run.started_by_id,
    )


@operation("/flows/<int:flow_id>/runs", "POST", summary="Start the flow for a contact", tag=T,
           body=RunIn, response=RunOut, status=201, errors=(404, 409, 415, 422),
           idempotent=True)  # fmt: skip
def start_flow_run(caller: Caller, flow_id: int, body: RunIn):
    """On the contact's conversation on ``number_id`` (default: the flow's number, else the
    client's first). The flow's messages are session messages: the customer must have
    written in the last 24 h for WhatsApp to deliver them."""
    flow = _flow(caller, flow_id)
    contact = _contact(caller, body)
    from clickpro.services.flows import engine  # the runtime imports the API's neighbours

    try:
        conversation = sender.conversation_for(
            caller.client_id, contact.id, body.number_id or flow.number_id
        )
    except sender.OutboundError as exc:
        raise ApiError(422, "validation_error", str(exc), {"number_id": [str(exc)]}) from None
    except NoCredentials as exc:
        raise ApiError(409, "no_credentials", str(exc)) from None
    try:
        run = engine.start_run(
            caller.client_id,
            flow.id,
            conversation_id=conversation.id,
            trigger=FlowTriggerKind.MANUAL,
            variables=dict(body.variables),
        )
    except flow_errors.FlowError as exc:
        db.session.rollback()
        raise _flow_error(exc) from None
    return run_out(run), 201


@operation("/flows/<int:flow_id>/runs/<int:run_id>", "GET", summary="A run with its journal",
           tag=T, response=RunDetail, errors=(404,))  # fmt: skip
def get_flow_run(caller: Caller, flow_id: int, run_id: int):
    flow = _flow(caller, flow_id)
    run = db.session.scalar(
        sa.select(FlowRun).where(
            FlowRun.id == run_id, FlowRun.flow_id == flow.id, FlowRun.client_id == caller.client_id
        )
    )
    if run is None:
        raise not_found(message=_("Execução do fluxo não encontrada."))
    steps = db.session.scalars(
        sa.select(FlowRunStep)
        .where(FlowRunStep.run_id == run.id, FlowRunStep.client_id == caller.client_id)
        .order_by(FlowRunStep.seq)
        .limit(JOURNAL_MAX)
    )
    return RunDetail(
        **run_out(run).model_dump(),
        steps=[
            RunStepOut(
                seq=s.seq,
                step_id=s.step_id,
                step_type=s.step_type,
                outcome=s.outcome,
                created_at=s.created_at,
            )  # fmt: skip
            for s in steps
        ],
    )
