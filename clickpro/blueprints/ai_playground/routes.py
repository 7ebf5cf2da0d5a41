"""The AI playground (``/ai/playground``, client admins): a test conversation with the
assistant — unsaved instructions, the number's assistant, knowledge base and tools on or
off — that never reaches WhatsApp. See ``clickpro.services.ai.playground``."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from clickpro.guards import admin_required
from clickpro.services.ai import playground
from clickpro.services.ai.playground import Options, PlaygroundError
from clickpro.services.ai.tools import tool_definitions
from clickpro.services.credentials import list_numbers
from clickpro.tenancy import require_client

bp = Blueprint("ai_playground", __name__, template_folder="templates",
               url_prefix="/ai/playground")  # fmt: skip


def _number_id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/")
@admin_required
def index():
    client = require_client()
    numbers = list_numbers(client.id)
    number_id = _number_id(request.args.get("number_id"))
    if number_id not in {n.id for n in numbers}:
        number_id = numbers[0].id if numbers else None
    error = None
    try:
        settings = playground.settings_for(client.id, Options(number_id=number_id))
        instructions = playground.instructions_of(settings)
    except PlaygroundError as exc:
        settings, instructions, error = None, "", exc.message
    spend, tokens = playground.month_spend(client.id)
    return render_template(
        "ai_playground/index.html",
        numbers=numbers,
        number_id=number_id,
        settings=settings,
        instructions=instructions,
        turns=playground.chat(client.id, current_user.id),
        tools=tool_definitions(client.id, number_id),
        spend=spend,
        currency=current_app.config["AI_PRICE_CURRENCY"],
        spend_tokens=tokens,
        setup_error=error,
        max_turns=playground.MAX_TURNS,
        max_question=playground.MAX_QUESTION,
    )


def _options() -> Options:
    override = request.form.get("override") == "1"
    return Options(
        number_id=_number_id(request.form.get("number_id")),
        instructions=request.form.get("instructions", "") if override else None,
        use_knowledge=request.form.get("use_knowledge") == "1",
        use_tools=request.form.get("use_tools") == "1",
    )


@bp.post("/ask")
@admin_required
def ask():
    client = require_client()
    options = _options()
    try:
        turn = playground.ask(client.id, current_user.id, request.form.get("question", ""), options)
    except PlaygroundError as exc:
        if _wants_json():
            return jsonify(error=exc.message, field=exc.field), 422
        flash(exc.message, "danger")
        return redirect(url_for("ai_playground.index", number_id=options.number_id))
    if _wants_json():
        return jsonify(
            html=render_template("ai_playground/_turn.html", turn=turn),
            turn_id=turn.id,
            answer=turn.answer,
            error=(turn.details or {}).get("error"),
        )
    return redirect(url_for("ai_playground.index", number_id=options.number_id))


@bp.post("/reset")
@admin_required
def reset():
    playground.reset(require_client().id, current_user.id)
    flash(_("Nova conversa de teste."), "info")
    return redirect(
        url_for("ai_playground.index", number_id=_number_id(request.form.get("number_id")))
    )


@bp.post("/instructions")
@admin_required
def save_instructions():
    client = require_client()
    number_id = _number_id(request.form.get("number_id"))
    try:
        where = playground.save_instructions(client.id, current_user.id, number_id,
                                             request.form.get("instructions", ""))  # fmt: skip
    except PlaygroundError as exc:
        flash(exc.message, "danger")
    else:
        flash(_("Instruções salvas no assistente deste número.") if where == "number"
              else _("Instruções salvas no assistente do cliente."), "success")  # fmt: skip
    return redirect(url_for("ai_playground.index", number_id=number_id))
