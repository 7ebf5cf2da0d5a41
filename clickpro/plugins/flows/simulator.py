"""The simulator's JSON endpoints (``/flows/<id>/simulator…``): the admin talks to the
DRAFT as a customer would. Runs are ``mode=simulator`` (no conversation, nothing sent to
WhatsApp) and executed synchronously by the engine; every answer is the run's
transcript. A run of another flow or another client answers 404.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from clickpro.extensions import db
from clickpro.models.flows import FlowRun, FlowRunMode
from clickpro.plugins.flows.blueprint import bp
from clickpro.plugins.flows.routes import _flow, _problems
from clickpro.services.flows.errors import FlowError, FlowInvalid, RunNotFound

MAX_INPUT = 4096
MAX_REPLY_ID = 256


def _engine():
    from clickpro.services.flows import engine  # h1's runtime

    return engine


def _run(flow_id: int, run_id: int) -> FlowRun:
    flow = _flow(flow_id)
    run = db.session.scalar(
        sa.select(FlowRun).where(
            FlowRun.id == run_id,
            FlowRun.flow_id == flow.id,
            FlowRun.client_id == flow.client_id,
            FlowRun.mode == FlowRunMode.SIMULATOR,
        )
    )
    if run is None:
        abort(404)
    return run


def _answer(run: FlowRun, status: int = 200):
    try:
        data = _engine().transcript(run.client_id, run.id)
    except RunNotFound:
        abort(404)
    return jsonify(run_id=run.id, **data), status


@bp.post("/<int:flow_id>/simulator")
def simulator_start(flow_id: int):
    """'Testar' / 'Recomeçar': a new simulator run on the draft."""
    flow = _flow(flow_id)
    try:
        run = _engine().start_run(
            flow.client_id,
            flow.id,
            conversation_id=None,
            trigger="manual",
            mode="simulator",
            use_draft=True,
            started_by_id=getattr(current_user, "id", None),
        )
    except FlowInvalid as exc:
        return jsonify(error=str(exc), problems=_problems(exc.problems)), 422
    except FlowError as exc:
        return jsonify(error=str(exc)), 422
    return _answer(run, 201)


@bp.get("/<int:flow_id>/simulator/<int:run_id>")
def simulator_state(flow_id: int, run_id: int):
    return _answer(_run(flow_id, run_id))


@bp.post("/<int:flow_id>/simulator/<int:run_id>/input")
def simulator_input(flow_id: int, run_id: int):
    """The admin types (``text``) or taps a button / list row (``reply_id``)."""
    run = _run(flow_id, run_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error=_("Conteúdo não é um JSON válido.")), 422
    text = data.get("text")
    reply_id = data.get("reply_id")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_INPUT):
        return jsonify(
            error=_("Mensagem longa demais (máximo %(n)s caracteres).", n=MAX_INPUT)
        ), 422
    if reply_id is not None and (not isinstance(reply_id, str) or len(reply_id) > MAX_REPLY_ID):
        return jsonify(error=_("Resposta inválida.")), 422
    if not (text or "").strip() and not reply_id:
        return jsonify(error=_("Digite uma mensagem.")), 422
    try:
        run = _engine().simulate_input(run.client_id, run.id, text, reply_id=reply_id)
    except RunNotFound:
        abort(404)
    except FlowError as exc:
        return jsonify(error=str(exc)), 409
    return _answer(run)
