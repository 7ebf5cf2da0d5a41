"""AI tools page (``/ai/tools``, client admins): the client's HTTP endpoints the
assistant may call — list, create/edit/delete, and "Testar" (one real call with sample
arguments, shown as the model would read it)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clickpro.guards import admin_required
from clickpro.models import AITool
from clickpro.services.ai import tools as tool_runtime
from clickpro.services.ai.tool_schema import EXAMPLE, check_arguments
from clickpro.services.ai.tool_store import (
    MAX_TIMEOUT_S,
    ToolError,
    ToolInput,
    ToolNotFound,
    create_tool,
    delete_tool,
    get_tool,
    list_tools,
    sample_arguments,
    update_tool,
)
from clickpro.services.credentials import list_numbers
from clickpro.tenancy import require_client

bp = Blueprint("ai_tools", __name__, template_folder="templates", url_prefix="/ai/tools")
MAX_TEST_BODY = 16_000


def _data_of(tool: AITool | None) -> dict:
    if tool is None:
        return {"enabled": True, "timeout_s": 10, "parameters": json.dumps(EXAMPLE, indent=2,
                ensure_ascii=False)}  # fmt: skip
    return {
        "name": tool.name,
        "description": tool.description,
        "parameters": json.dumps(tool.parameters, indent=2, ensure_ascii=False),
        "url": tool.url,
        "secret_header_name": tool.secret_header_name or "",
        "timeout_s": tool.timeout_s,
        "enabled": tool.enabled,
        "number_id": tool.number_id or "",
    }


def _render(tool: AITool | None, data: dict, error: ToolError | None = None, status: int = 200):
    client = require_client()
    samples = sample_arguments(tool.parameters) if tool else {}
    return (
        render_template(
            "ai_tools/form.html",
            tool=tool,
            data=data,
            error=error,
            numbers=list_numbers(client.id),
            example=json.dumps(EXAMPLE, indent=2, ensure_ascii=False),
            samples=json.dumps(samples, ensure_ascii=False),
            max_timeout=MAX_TIMEOUT_S,
        ),
        status,
    )


def _form_dict(form: ToolInput) -> dict:
    return {
        "name": form.name,
        "description": form.description,
        "parameters": form.parameters,
        "url": form.url,
        "secret_header_name": form.secret_header_name,
        "timeout_s": form.timeout_s,
        "enabled": form.enabled,
        "number_id": form.number_id,
    }


@bp.get("/")
@admin_required
def index():
    client = require_client()
    numbers = {n.id: n for n in list_numbers(client.id, include_archived=True)}
    return render_template("ai_tools/index.html", tools=list_tools(client.id), numbers=numbers)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    if request.method == "GET":
        return _render(None, _data_of(None))
    form = ToolInput.from_form(request.form)
    try:
        tool = create_tool(require_client().id, form)
    except ToolError as exc:
        return _render(None, _form_dict(form), exc, 422)
    flash(_("Ferramenta criada. Teste-a abaixo."), "success")
    return redirect(url_for("ai_tools.edit", tool_id=tool.id))


@bp.route("/<int:tool_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(tool_id: int):
    client = require_client()
    try:
        tool = get_tool(client.id, tool_id)
    except ToolNotFound:
        abort(404)
    if request.method == "GET":
        return _render(tool, _data_of(tool))
    form = ToolInput.from_form(request.form)
    try:
        update_tool(client.id, tool.id, form)
    except ToolError as exc:
        return _render(tool, _form_dict(form), exc, 422)
    flash(_("Ferramenta salva."), "success")
    return redirect(url_for("ai_tools.index"))


@bp.post("/<int:tool_id>/delete")
@admin_required
def delete(tool_id: int):
    try:
        delete_tool(require_client().id, tool_id)
    except ToolNotFound:
        abort(404)
    flash(_("Ferramenta excluída."), "success")
    return redirect(url_for("ai_tools.index"))


@bp.post("/<int:tool_id>/test")
@admin_required
def test(tool_id: int):
    """One real call with the arguments typed on the page (JSON), like the AI would."""
    try:
        tool = get_tool(require_client().id, tool_id)
    except ToolNotFound:
        abort(404)
    raw = request.form.get("arguments", "")
    if len(raw) > MAX_TEST_BODY:
        return jsonify(error=_("Argumentos grandes demais.")), 422
    try:
        arguments = json.loads(raw or "{}")
    except ValueError:
        return jsonify(error=_("Os argumentos de teste não são um JSON válido.")), 422
    problems = check_arguments(tool.parameters or {}, arguments)
    if problems:
        return jsonify(error=_("Argumentos não batem com o esquema: %(p)s",
                               p="; ".join(problems))), 422  # fmt: skip
    result = tool_runtime.post(tool, arguments)
    return jsonify(output=result.output, log=result.log)
