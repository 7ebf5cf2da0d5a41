"""Chatbot flows from the inbox (#20): an agent starts a flow on the open conversation,
sees the one it is in, and can end it.

``GET  /inbox/api/conversations/<id>/flows``: ``{"flows": [{"id", "name"}], "active":
run | null}`` — the flows the agent may start (``versions.startable_flows``: published,
not archived, for this number, with a ``manual`` trigger) and the run in progress.
``POST .../flows`` ``{"flow_id"}``: ``engine.start_run(trigger="manual",
started_by_id=<agent>)``; 409 when the conversation is already in a flow.
``POST .../flows/exit``: ends the run in progress (``end_reason`` agent).
Another client's conversation or flow is a 404.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from clickpro.blueprints.api.schemas import Id, Strict
from clickpro.blueprints.errors import RequestError, parse_json_body
from clickpro.blueprints.inbox.routes import bp
from clickpro.extensions import db
from clickpro.guards import client_required
from clickpro.models.flows import (
    ACTIVE_RUN_STATUSES,
    Flow,
    FlowRun,
    FlowRunMode,
    FlowTriggerKind,
)
from clickpro.services.flows import errors as flow_errors
from clickpro.services.flows import versions
from clickpro.services.teams import assignment
from clickpro.tenancy import require_client


class StartFlowIn(Strict):
    flow_id: Id


def _conversation(client_id: int, conversation_id: int):
    return assignment.conversation_of(client_id, conversation_id)  # TeamNotFound → 404


def _refusal(exc: flow_errors.FlowError) -> RequestError:
    if isinstance(exc, flow_errors.FlowNotFound | flow_errors.ConversationNotFound):
        return RequestError(404, "not_found", str(exc))
    if isinstance(exc, flow_errors.ConversationBusy | flow_errors.FlowNotPublished):
        return RequestError(409, exc.code, str(exc))
    return RequestError(422, exc.code, str(exc))


def _run_json(run: FlowRun | None) -> dict | None:
    if run is None:
        return None
    flow = db.session.get(Flow, run.flow_id)
    return {
        "id": run.id,
        "flow_id": run.flow_id,
        "flow_name": flow.name if flow is not None else "",
        "status": run.status,
        "current_step": run.current_step,
        "started_at": run.started_at.isoformat() if run.started_at else None,
    }


def _active_run(client_id: int, conversation_id: int) -> FlowRun | None:
    """The live run in progress on the conversation (at most one: a partial unique index)."""
    return db.session.scalar(
        sa.select(FlowRun).where(
            FlowRun.client_id == client_id,
            FlowRun.conversation_id == conversation_id,
            FlowRun.mode == FlowRunMode.LIVE,
            FlowRun.status.in_([s.value for s in ACTIVE_RUN_STATUSES]),
        )
    )


def _state(client_id: int, conversation) -> dict:
    flows = versions.startable_flows(client_id, number_id=conversation.number_id)
    return {
        "flows": [{"id": f.id, "name": f.name} for f in flows],
        "active": _run_json(_active_run(client_id, conversation.id)),
    }


@bp.get("/api/conversations/<int:conversation_id>/flows")
@client_required
def conversation_flows(conversation_id: int):
    client = require_client()
    return jsonify(_state(client.id, _conversation(client.id, conversation_id)))


@bp.post("/api/conversations/<int:conversation_id>/flows")
@client_required
def start_flow(conversation_id: int):
    client = require_client()
    conversation = _conversation(client.id, conversation_id)
    data: StartFlowIn = parse_json_body(StartFlowIn)
    allowed = {f.id for f in versions.startable_flows(client.id, number_id=conversation.number_id)}
    if data.flow_id not in allowed:
        raise RequestError(404, "not_found", _("Fluxo não encontrado."))
    from clickpro.services.flows import engine  # the runtime, loaded with its plugin

    try:
        engine.start_run(
            client.id,
            data.flow_id,
            conversation_id=conversation.id,
            trigger=FlowTriggerKind.MANUAL,
            started_by_id=current_user.id,
        )
    except flow_errors.FlowError as exc:
        db.session.rollback()
        raise _refusal(exc) from None
    return jsonify(_state(client.id, conversation)), 201


@bp.post("/api/conversations/<int:conversation_id>/flows/exit")
@client_required
def exit_flow(conversation_id: int):
    client = require_client()
    conversation = _conversation(client.id, conversation_id)
    run = _active_run(client.id, conversation.id)
    if run is not None:
        from clickpro.services.flows import engine

        try:
            engine.exit_run(client.id, run.id, "agent")
        except flow_errors.FlowError as exc:
            db.session.rollback()
            raise _refusal(exc) from None
    return jsonify(_state(client.id, conversation))
