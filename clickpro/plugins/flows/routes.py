"""The flows pages (``/flows``, client admins): list, editor, versions, import/export.

The browser edits the graph JSON (``static/js/flows/``) and sends it whole; the server
never trusts it: every save goes through ``versions.save_draft`` (structure, size caps,
foreign ids) and every check through ``graph.validate``. The simulator's JSON endpoints
are in :mod:`clickpro.plugins.flows.simulator`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models.base import utcnow
from clickpro.models.flows import Flow, FlowRun, FlowRunMode
from clickpro.plugins.flows.blueprint import bp
from clickpro.services.credentials import list_numbers
from clickpro.services.flows import library, versions
from clickpro.services.flows.errors import FlowInvalid, FlowNotFound
from clickpro.services.flows.graph import MAX_BYTES, validate
from clickpro.services.flows.structure import check_structure
from clickpro.tenancy import require_client

MAX_IMPORT_BYTES = 512 * 1024


def _flow(flow_id: int) -> Flow:
    try:
        return versions.get_flow(require_client().id, flow_id)
    except FlowNotFound:
        abort(404)


def _user_id() -> int | None:
    return getattr(current_user, "id", None)


def _problems(problems: list) -> list[dict]:
    return [p.as_dict() if hasattr(p, "as_dict") else dict(p) for p in problems]


def _json_body(limit: int = MAX_BYTES + 16_384) -> Any:
    """The request's JSON, or a 413/422 answer (a tuple) when too big / not JSON."""
    if (request.content_length or 0) > limit:
        return jsonify(error=_("O fluxo passa do tamanho máximo.")), 413
    raw = request.get_data(cache=False, as_text=False)[: limit + 1]
    if len(raw) > limit:
        return jsonify(error=_("O fluxo passa do tamanho máximo.")), 413
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return jsonify(error=_("Conteúdo não é um JSON válido.")), 422


def trigger_summary(graph: dict) -> str:
    """The flow's triggers in words (pt_BR), for the list."""
    parts: list[str] = []
    for trig in graph.get("triggers") or []:
        if not isinstance(trig, dict):
            continue
        kind = trig.get("kind")
        if kind == "keyword":
            words = ", ".join(f"“{w}”" for w in (trig.get("keywords") or [])[:5])
            if trig.get("match") == "contains":
                parts.append(_("mensagem contém %(w)s", w=words))
            else:
                parts.append(_("palavra-chave %(w)s", w=words))
        elif kind == "new_conversation":
            parts.append(_("nova conversa"))
        elif kind == "off_hours":
            parts.append(_("fora do horário"))
        elif kind == "campaign_reply":
            parts.append(_("resposta a campanha"))
        elif kind == "manual":
            parts.append(_("iniciado por um atendente"))
    return "; ".join(parts) or _("nenhum gatilho")


def _runs_last_week(client_id: int) -> dict[int, int]:
    since = utcnow() - timedelta(days=7)
    rows = db.session.execute(
        sa.select(FlowRun.flow_id, sa.func.count())
        .where(
            FlowRun.client_id == client_id,
            FlowRun.mode == FlowRunMode.LIVE,
            FlowRun.started_at >= since,
        )
        .group_by(FlowRun.flow_id)
    ).all()
    return {flow_id: n for flow_id, n in rows}


# --------------------------------------------------------------------------- list


@bp.get("/")
def index():
    client = require_client()
    flows = versions.list_flows(client.id)
    published = {
        f.id: v
        for f in flows
        if (v := versions.published_version(f)) is not None  # small list: one get each
    }
    return render_template(
        "flows/index.html",
        flows=flows,
        published=published,
        runs=_runs_last_week(client.id),
        summary={f.id: trigger_summary(f.draft or {}) for f in flows},
        templates=list(library.TEMPLATES.values()),
        max_import_kb=MAX_IMPORT_BYTES // 1024,
    )


@bp.post("/new")
def new():
    client = require_client()
    key = request.form.get("template", "").strip()
    try:
        if key:
            if key not in library.TEMPLATES:
                abort(404)
            flow = library.create_from_template(client.id, key, user_id=_user_id())
        else:
            name = request.form.get("name", "").strip() or _("Novo fluxo")
            flow = versions.create_flow(client.id, name, user_id=_user_id(), rename=True)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("flows.index"))
    return redirect(url_for("flows.edit", flow_id=flow.id))


@bp.post("/import")
def import_json():
    client = require_client()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Escolha um arquivo JSON exportado do ClickPro."), "danger")
        return redirect(url_for("flows.index"))
    raw = upload.stream.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        flash(_("Arquivo grande demais (máximo %(kb)s KB).", kb=MAX_IMPORT_BYTES // 1024), "danger")
        return redirect(url_for("flows.index"))
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        flash(_("O arquivo não é um JSON válido."), "danger")
        return redirect(url_for("flows.index"))
    try:
        flow = versions.import_flow(client.id, data, user_id=_user_id())
    except FlowInvalid as exc:
        first = exc.problems[0].message if exc.problems else str(exc)
        flash(_("Fluxo não importado: %(p)s", p=first), "danger")
        return redirect(url_for("flows.index"))
    except ServiceError as exc:
        flash(_("Fluxo não importado: %(p)s", p=exc.message), "danger")
        return redirect(url_for("flows.index"))
    flash(_("Fluxo “%(name)s” importado como rascunho.", name=flow.name), "success")
    return redirect(url_for("flows.edit", flow_id=flow.id))


@bp.post("/<int:flow_id>/archive")
def archive(flow_id: int):
    flow = _flow(flow_id)
    versions.archive(flow.client_id, flow.id)
    flash(_("Fluxo “%(name)s” arquivado.", name=flow.name), "success")
    return redirect(url_for("flows.index"))


@bp.post("/<int:flow_id>/enabled")
def set_enabled(flow_id: int):
    flow = _flow(flow_id)
    data = request.get_json(silent=True) if request.is_json else request.form
    enabled = str((data or {}).get("enabled", "")).lower() in ("1", "true", "on", "yes")
    versions.set_enabled(flow.client_id, flow.id, enabled)
    if request.is_json:
        return jsonify(enabled=flow.enabled)
    return redirect(request.referrer or url_for("flows.index"))


@bp.post("/<int:flow_id>/duplicate")
def duplicate(flow_id: int):
    flow = _flow(flow_id)
    copy = versions.duplicate(flow.client_id, flow.id, user_id=_user_id())
    flash(_("Cópia criada: “%(name)s”.", name=copy.name), "success")
    return redirect(url_for("flows.edit", flow_id=copy.id))


@bp.get("/<int:flow_id>/export")
def export(flow_id: int):
    flow = _flow(flow_id)
    body = json.dumps(versions.export_flow(flow.client_id, flow.id), ensure_ascii=False, indent=2)
    slug = "".join(c if c.isalnum() else "-" for c in flow.name.lower()).strip("-")[:40]
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="fluxo-{slug or flow.id}.json"'},
    )


# --------------------------------------------------------------------------- editor


def _report(flow: Flow):
    try:
        from clickpro.services.flows import reports
    except ImportError:  # pragma: no cover - h3's module
        return None
    return reports.flow_report(flow.client_id, flow.id)


def editor_lists(client_id: int) -> dict[str, list[dict[str, Any]]]:
    """The client's teams, agents, labels, numbers and campaigns for the editor's selects.

    Scoped to ``client_id`` (the graph stores their ids; ``foreign_ids`` drops any other
    client's id on save anyway). Capped so a large account does not bloat the page.
    """
    from clickpro.models import Campaign, ClientMember, Label, User
    from clickpro.models.teams import Team

    cap = 500
    teams = db.session.execute(
        sa.select(Team.id, Team.name)
        .where(Team.client_id == client_id, Team.archived_at.is_(None))
        .order_by(Team.name)
        .limit(cap)
    ).all()
    agents = db.session.execute(
        sa.select(User.id, User.name, User.email)
        .join(ClientMember, ClientMember.user_id == User.id)
        .where(ClientMember.client_id == client_id, ClientMember.is_active.is_(True),
               User.is_active.is_(True))
        .order_by(User.name, User.email)
        .limit(cap)
    ).all()  # fmt: skip
    labels = db.session.execute(
        sa.select(Label.id, Label.name)
        .where(Label.client_id == client_id)
        .order_by(Label.name)
        .limit(cap)
    ).all()
    campaigns = db.session.execute(
        sa.select(Campaign.id, Campaign.name)
        .where(Campaign.client_id == client_id)
        .order_by(Campaign.id.desc())
        .limit(100)
    ).all()
    return {
        "teams": [{"id": i, "name": n} for i, n in teams],
        "agents": [{"id": i, "name": n or e} for i, n, e in agents],
        "labels": [{"id": i, "name": n} for i, n in labels],
        "campaigns": [{"id": i, "name": n} for i, n in campaigns],
    }


@bp.get("/<int:flow_id>")
def edit(flow_id: int):
    flow = _flow(flow_id)
    client = require_client()
    numbers = list_numbers(client.id)
    problems = validate(flow.draft) if not check_structure(flow.draft) else []
    lists = editor_lists(client.id)
    lists["numbers"] = [{"id": n.id, "name": n.display_phone_number or str(n.id)} for n in numbers]
    return render_template(
        "flows/edit.html",
        flow=flow,
        graph=flow.draft or {},
        published=versions.published_version(flow),
        flow_versions=versions.list_versions(client.id, flow.id),
        numbers=numbers,
        lists=lists,
        problems=_problems(problems),
        report=_report(flow) if flow.published_version_id else None,
        max_bytes=MAX_BYTES,
    )


@bp.post("/<int:flow_id>/validate")
def validate_graph(flow_id: int):
    """The problems of the graph sent (not stored): the editor's live check."""
    _flow(flow_id)
    graph = _json_body()
    if isinstance(graph, tuple):
        return graph
    structural = check_structure(graph)
    problems = structural or validate(graph)
    return jsonify(problems=_problems(problems))


@bp.post("/<int:flow_id>/draft")
def save_draft(flow_id: int):
    flow = _flow(flow_id)
    graph = _json_body()
    if isinstance(graph, tuple):
        return graph
    try:
        problems = versions.save_draft(flow.client_id, flow.id, graph)
    except FlowInvalid as exc:
        return jsonify(error=str(exc), problems=_problems(exc.problems)), 422
    return jsonify(saved=True, problems=_problems(problems), graph=flow.draft)


@bp.post("/<int:flow_id>/settings")
def settings(flow_id: int):
    """Name and number of the flow (the graph's settings travel with the draft)."""
    flow = _flow(flow_id)
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        return jsonify(error=_("Conteúdo não é um JSON válido.")), 422
    changes = {k: data[k] for k in ("name", "number_id", "description") if k in data}
    try:
        versions.update_flow(flow.client_id, flow.id, **changes)
    except ServiceError as exc:
        return jsonify(error=exc.message, field=exc.field), exc.http_status
    return jsonify(name=flow.name, number_id=flow.number_id)


@bp.post("/<int:flow_id>/publish")
def publish(flow_id: int):
    flow = _flow(flow_id)
    data = request.get_json(silent=True) or {}
    note = str(data.get("note") or "")[: versions.NOTE_MAX] if isinstance(data, dict) else ""
    try:
        version = versions.publish(flow.client_id, flow.id, user_id=_user_id(), note=note)
    except FlowInvalid as exc:
        return jsonify(error=str(exc), problems=_problems(exc.problems)), 422
    except ServiceError as exc:
        return jsonify(error=exc.message), exc.http_status
    return jsonify(version=version.number, version_id=version.id,
                   message=_("Publicado: versão %(n)s.", n=version.number))  # fmt: skip


@bp.post("/<int:flow_id>/versions/<int:version_id>/restore")
def restore_version(flow_id: int, version_id: int):
    flow = _flow(flow_id)
    try:
        version = versions.rollback(flow.client_id, flow.id, version_id, user_id=_user_id())
    except FlowNotFound:
        abort(404)
    flash(_("Versão %(n)s publicada de novo e copiada para o rascunho.", n=version.number),
          "success")  # fmt: skip
    return redirect(url_for("flows.edit", flow_id=flow.id))
