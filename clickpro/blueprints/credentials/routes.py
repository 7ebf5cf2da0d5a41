"""The client admin's credentials page: WhatsApp (Meta) and OpenAI + the assistant."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from clickpro.blueprints.credentials.forms import OpenAIForm, WhatsAppForm
from clickpro.guards import admin_required
from clickpro.services.credentials import (
    CredentialError,
    NoCredentials,
    assistant_settings,
    get_openai_credential,
    get_whatsapp_credential,
    retest_openai,
    retest_whatsapp,
    save_openai_credentials,
    save_whatsapp_credentials,
)
from clickpro.tenancy import require_client

bp = Blueprint("credentials", __name__, url_prefix="/credentials", template_folder="templates")
SECRET_FIELDS = ("access_token", "app_secret", "verify_token", "api_key")


def _whatsapp_form() -> WhatsAppForm:
    """The WhatsApp form filled with the stored (non-secret) values."""
    form = WhatsAppForm(prefix="wa", formdata=None)
    credential = get_whatsapp_credential(require_client().id)
    if credential is not None:
        form.waba_id.data = credential.waba_id
        form.phone_number_id.data = credential.phone_number_id
        form.app_id.data = credential.app_id
    return form


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
    return form


def _page(wa_form: WhatsAppForm | None = None, ai_form: OpenAIForm | None = None, status=200):
    client = require_client()
    for form in (wa_form, ai_form):
        for name in SECRET_FIELDS:  # a typed secret is never echoed back, even on error
            if form is not None and name in form:
                form[name].data = ""
    return render_template(
        "credentials/index.html",
        client=client,
        whatsapp=get_whatsapp_credential(client.id),
        openai=get_openai_credential(client.id),
        wa_form=wa_form or _whatsapp_form(),
        ai_form=ai_form or _openai_form(),
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
            save_whatsapp_credentials(require_client(), _form_data(form))
        except CredentialError as error:
            _attach(form, error)
        else:
            flash(_("Credenciais do WhatsApp validadas na Meta e salvas."), "success")
            return redirect(url_for("credentials.index"))
    return _page(wa_form=form, status=400)


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


def _retest(run, label: str):
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("Sessão expirada: tente de novo."), "warning")
        return redirect(url_for("credentials.index"))
    try:
        credential = run(require_client())
    except NoCredentials as exc:
        flash(str(exc), "warning")
        return redirect(url_for("credentials.index"))
    if credential.last_error:
        flash(_("%(label)s: %(error)s", label=label, error=credential.last_error), "danger")
    else:
        flash(_("%(label)s: credenciais válidas.", label=label), "success")
    return redirect(url_for("credentials.index"))


@bp.post("/whatsapp/test")
@admin_required
def test_whatsapp():
    return _retest(retest_whatsapp, "WhatsApp")


@bp.post("/openai/test")
@admin_required
def test_openai():
    return _retest(retest_openai, "OpenAI")
