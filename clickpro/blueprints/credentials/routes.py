"""The client admin's credentials page: the WhatsApp numbers (Meta) and OpenAI + the
assistant; one page per number to edit it, re-test it, tune its assistant or remove it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from clickpro.blueprints.credentials.forms import (
    NumberAssistantForm,
    NumberForm,
    OpenAIForm,
    WhatsAppForm,
)
from clickpro.extensions import db
from clickpro.guards import admin_required
from clickpro.models import WhatsAppCredential
from clickpro.models.teams import Team
from clickpro.services.ai.vision import DEFAULT_IMAGE_MAX_KB
from clickpro.services.credentials import (
    CredentialError,
    NoCredentials,
    NumberNotFound,
    add_number,
    archive_number,
    assistant_settings,
    get_openai_credential,
    get_whatsapp_credential,
    list_numbers,
    require_number,
    retest_number,
    retest_openai,
    save_number_ai_settings,
    save_openai_credentials,
    update_number,
)
from clickpro.tenancy import require_client

bp = Blueprint("credentials", __name__, url_prefix="/credentials", template_folder="templates")
SECRET_FIELDS = ("access_token", "app_secret", "verify_token", "api_key")


def _openai_form() -> OpenAIForm:
    """The assistant form filled with the stored settings (never the key)."""
    form = OpenAIForm(prefix="ai", formdata=None)
    client = require_client()
    form.ai_enabled.data = client.ai_enabled
    if get_openai_credential(client.id) is None:
        return form
    s = assistant_settings(client.id)
    form.model.data = s.model
    form.instructions.data = s.instructions
    form.temperature.data = f"{s.temperature:g}"
    form.context_messages.data = str(s.context_messages)
    form.max_output_tokens.data = str(s.max_output_tokens)
    form.handoff_keywords.data = ", ".join(s.handoff_keywords)
    form.fallback_text.data = s.fallback_text
    form.handoff_text.data = s.handoff_text
    form.hours_mode.data = "always" if s.hours_always else "custom"
    form.hours_days.data = [str(d) for d in s.hours_days]
    form.hours_start.data = s.hours_start.strftime("%H:%M")
    form.hours_end.data = s.hours_end.strftime("%H:%M")
    form.daily_reply_cap.data = str(s.daily_reply_cap or 0)
    form.non_text_policy.data = s.non_text_policy
    form.non_text_text.data = s.non_text_text
    form.intents_enabled.data = s.options.get("intents_enabled") is True
    form.human_team_id.data = str(s.options.get("human_team_id") or "")
    form.complaint_team_id.data = str(s.options.get("complaint_team_id") or "")
    form.conversation_reply_cap.data = str(s.options.get("conversation_reply_cap") or 0)
    kb = s.options.get("image_max_kb")
    form.image_max_kb.data = str(kb if kb is not None else DEFAULT_IMAGE_MAX_KB)
    return form


def _team_choices(form: OpenAIForm) -> None:
    """The client's active teams for the intent routing selects (#21)."""
    teams = db.session.scalars(
        sa.select(Team)
        .where(Team.client_id == require_client().id, Team.archived_at.is_(None))
        .order_by(Team.name)
    ).all()
    choices = [("", _("A equipe da conversa"))] + [(str(t.id), t.name) for t in teams]
    form.human_team_id.choices = choices
    form.complaint_team_id.choices = choices


def _hide_secrets(*forms: FlaskForm | None) -> None:
    for form in forms:
        for name in SECRET_FIELDS:  # a typed secret is never echoed back, even on error
            if form is not None and name in form:
                form[name].data = ""


def _page(wa_form: WhatsAppForm | None = None, ai_form: OpenAIForm | None = None, status=200):
    client = require_client()
    _hide_secrets(wa_form, ai_form)
    ai_form = ai_form or _openai_form()
    _team_choices(ai_form)
    return render_template(
        "credentials/index.html",
        client=client,
        numbers=list_numbers(client.id, include_archived=True),
        whatsapp=get_whatsapp_credential(client.id),
        openai=get_openai_credential(client.id),
        wa_form=wa_form or WhatsAppForm(prefix="wa", formdata=None),
        ai_form=ai_form,
    ), status


def _number_or_404(number_id: int) -> WhatsAppCredential:
    try:
        return require_number(require_client().id, number_id)
    except NumberNotFound:
        abort(404)


def _number_form(number: WhatsAppCredential) -> NumberForm:
    form = NumberForm(prefix="num", formdata=None)
    form.display_name.data = number.display_name
    form.app_id.data = number.app_id
    return form


def _assistant_form(number: WhatsAppCredential) -> NumberAssistantForm:
    form = NumberAssistantForm(prefix="nai", formdata=None)
    settings = dict(number.ai_settings or {})
    if "enabled" in settings:
        form.enabled.data = "on" if settings["enabled"] else "off"
    for name in ("instructions", "model", "fallback_text"):
        form[name].data = settings.get(name, "")
    if "temperature" in settings:
        form.temperature.data = f"{settings['temperature']:g}"
    form.handoff_keywords.data = ", ".join(settings.get("handoff_keywords") or [])
    return form


def _number_page(
    number: WhatsAppCredential,
    form: NumberForm | None = None,
    assistant_form: NumberAssistantForm | None = None,
    status: int = 200,
):
    client = require_client()
    _hide_secrets(form)
    return render_template(
        "credentials/number.html",
        client=client,
        number=number,
        form=form or _number_form(number),
        assistant_form=assistant_form or _assistant_form(number),
        defaults=assistant_settings(client.id),
    ), status


def _form_data(form: FlaskForm) -> dict:
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


def _attach(form: FlaskForm, error: CredentialError) -> None:
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.get("")
@admin_required
def index():
    return _page()


@bp.post("/whatsapp")
@admin_required
def save_whatsapp():
    form = WhatsAppForm(prefix="wa")
    if form.validate_on_submit():
        try:
            number = add_number(require_client(), _form_data(form))
        except CredentialError as error:
            _attach(form, error)
        else:
            flash(
                _("Número %(name)s validado na Meta e adicionado.", name=number.display_name),
                "success",
            )
            return redirect(url_for("credentials.index"))
    return _page(wa_form=form, status=400)


@bp.get("/whatsapp/<int:number_id>")
@admin_required
def number(number_id: int):
    return _number_page(_number_or_404(number_id))


@bp.post("/whatsapp/<int:number_id>", endpoint="update_number")
@admin_required
def update_number_view(number_id: int):
    number = _number_or_404(number_id)
    form = NumberForm(prefix="num")
    if form.validate_on_submit():
        try:
            update_number(require_client(), number.id, _form_data(form))
        except CredentialError as error:
            _attach(form, error)
        else:
            flash(_("Número %(name)s salvo.", name=number.display_name), "success")
            return redirect(url_for("credentials.number", number_id=number.id))
    return _number_page(number, form=form, status=400)


@bp.post("/whatsapp/<int:number_id>/assistant")
@admin_required
def number_assistant(number_id: int):
    number = _number_or_404(number_id)
    form = NumberAssistantForm(prefix="nai")
    if form.validate_on_submit():
        try:
            save_number_ai_settings(require_client(), number.id, _form_data(form))
        except CredentialError as error:
            _attach(form, error)
        else:
            flash(_("Assistente do número %(name)s salvo.", name=number.display_name), "success")
            return redirect(url_for("credentials.number", number_id=number.id))
    return _number_page(number, assistant_form=form, status=400)


@bp.post("/whatsapp/<int:number_id>/archive", endpoint="archive_number")
@admin_required
def archive_number_view(number_id: int):
    number = _number_or_404(number_id)
    if not FlaskForm().validate_on_submit():
        flash(_("Sessão expirada: tente de novo."), "warning")
        return redirect(url_for("credentials.number", number_id=number.id))
    archive_number(require_client(), number.id)
    flash(
        _(
            "Número %(name)s removido: ele não recebe nem envia mais mensagens; "
            "as conversas ficam no histórico.",
            name=number.display_name,
        ),
        "success",
    )
    return redirect(url_for("credentials.index"))


@bp.post("/openai")
@admin_required
def save_openai():
    form = OpenAIForm(prefix="ai")
    if form.validate_on_submit():
        try:
            save_openai_credentials(require_client(), _form_data(form))
        except CredentialError as error:
            _attach(form, error)
        else:
            flash(_("Chave da OpenAI validada e assistente salvo."), "success")
            return redirect(url_for("credentials.index"))
    return _page(ai_form=form, status=400)


def _retest(run, label: str, back: str):
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("Sessão expirada: tente de novo."), "warning")
        return redirect(back)
    try:
        credential = run(require_client())
    except (NoCredentials, CredentialError) as exc:
        flash(str(exc), "warning")
        return redirect(back)
    if credential.last_error:
        flash(_("%(label)s: %(error)s", label=label, error=credential.last_error), "danger")
    else:
        flash(_("%(label)s: credenciais válidas.", label=label), "success")
    return redirect(back)


@bp.post("/whatsapp/test")
@admin_required
def test_whatsapp():
    """Re-test the first number (the page's button before numbers existed)."""
    first = get_whatsapp_credential(require_client().id)
    if first is None:
        flash(_("Este cliente ainda não configurou as credenciais do WhatsApp."), "warning")
        return redirect(url_for("credentials.index"))
    return _retest_number(first)


@bp.post("/whatsapp/<int:number_id>/test")
@admin_required
def test_number(number_id: int):
    return _retest_number(_number_or_404(number_id))


def _retest_number(number: WhatsAppCredential):
    label = f"WhatsApp · {number.display_name}" if number.display_name else "WhatsApp"
    return _retest(
        lambda client: retest_number(client, number.id),
        label,
        url_for("credentials.index") + "#whatsapp",
    )


@bp.post("/openai/test")
@admin_required
def test_openai():
    return _retest(retest_openai, "OpenAI", url_for("credentials.index"))
