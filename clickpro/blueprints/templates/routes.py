"""Templates pages. Rules and Meta calls live in ``clickpro.services.templates.service``.

Members (CLIENT_USER) see the list and the details read-only; creating, deleting,
duplicating and syncing need CLIENT_ADMIN.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from clickpro.blueprints.templates.forms import (
    ActionForm,
    TemplateForm,
    draft_from_form,
    header_file_from,
    ttl_from_form,
)
from clickpro.extensions import db
from clickpro.guards import admin_required, client_required, is_client_admin
from clickpro.models import Template, TemplateStatus
from clickpro.params import parse_id
from clickpro.services.templates.rules import (
    BUTTONS_MAX,
    CATEGORIES,
    HEADER_FORMATS,
    LANGUAGES,
    TemplateDraft,
    render_text,
)
from clickpro.services.templates.service import (
    TemplateError,
    check_draft,
    create_template,
    delete_template,
    duplicate,
    same_name_templates,
    status_history,
    sync_templates,
)
from clickpro.services.templates.ttl import TTL_RANGES, form_value, format_duration, ttl_rule
from clickpro.services.templates.wabas import Waba, client_wabas, template_waba_id, waba_clause
from clickpro.tenancy import get_owned_or_404, require_client, scoped

bp = Blueprint("templates", __name__, template_folder="templates")

STATUS_FILTERS = [s.value for s in TemplateStatus if s != TemplateStatus.DRAFT]
CATEGORY_LABELS = {
    "MARKETING": _l("Marketing"),
    "UTILITY": _l("Utilidade"),
    "AUTHENTICATION": _l("Autenticação"),
}
HEADER_LABELS = {
    "NONE": _l("Nenhum"),
    "TEXT": _l("Texto"),
    "IMAGE": _l("Imagem"),
    "VIDEO": _l("Vídeo"),
    "DOCUMENT": _l("Documento"),
}
BUTTON_LABELS = {
    "QUICK_REPLY": _l("Resposta rápida"),
    "URL": _l("Link (URL)"),
    "PHONE_NUMBER": _l("Ligar (telefone)"),
    "COPY_CODE": _l("Copiar código"),
}


@bp.route("/templates")
@client_required
def index():
    client = require_client()
    status = (request.args.get("status") or "").upper()
    wabas = client_wabas(client.id)
    default = wabas[0].waba_id if wabas else None
    waba = request.args.get("waba") or ""
    stmt = scoped(Template, client.id).order_by(Template.name, Template.language)
    if status in STATUS_FILTERS:
        stmt = stmt.where(Template.status == status)
    else:
        status = ""
    if waba in {w.waba_id for w in wabas}:
        stmt = stmt.where(waba_clause(waba, default))
    else:
        waba = ""
    templates = list(db.session.scalars(stmt))
    last_synced = db.session.scalar(
        sa.select(sa.func.max(Template.last_synced_at)).where(Template.client_id == client.id)
    )
    return render_template(
        "templates/index.html",
        templates=templates,
        status=status,
        statuses=STATUS_FILTERS,
        last_synced=last_synced,
        action_form=ActionForm(),
        can_edit=is_client_admin(),
        category_labels=CATEGORY_LABELS,
        connected=bool(wabas),
        wabas=wabas,
        waba=waba,
        waba_labels=_waba_labels(wabas),
    )


def _waba_labels(wabas: list[Waba]) -> dict[str, str]:
    """WABA id → the numbers using it (what the list shows); legacy rows ("") are the
    first number's WABA's."""
    labels = {w.waba_id: w.label for w in wabas}
    if wabas:
        labels[""] = wabas[0].label
    return labels


@bp.route("/templates/sync", methods=["POST"])
@admin_required
def sync():
    client = require_client()
    if not ActionForm().validate_on_submit():
        flash(_("Formulário expirado. Tente novamente."), "danger")
        return redirect(url_for("templates.index"))
    result = sync_templates(client.id)
    if result.skipped:
        flash(_("Cadastre as credenciais do WhatsApp para sincronizar os modelos."), "warning")
    else:
        flash(
            _(
                "Sincronizado com a Meta: %(created)s importado(s), %(updated)s atualizado(s), "
                "%(unchanged)s sem mudança.",
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
            ),
            "success" if not result.errors else "warning",
        )
        for error in result.errors[:5]:
            flash(error, "danger")
    template_id = parse_id(request.form.get("template_id"), "template_id")
    if template_id:
        row = db.session.scalar(scoped(Template, client.id).where(Template.id == template_id))
        if row is not None:
            return redirect(url_for("templates.detail", template_id=row.id))
    return redirect(url_for("templates.index"))


def _render_form(
    draft: TemplateDraft, errors: dict | None = None, status: int = 200, waba_id: str = ""
):
    wabas = client_wabas(require_client().id)
    return (
        render_template(
            "templates/form.html",
            form=TemplateForm(),
            draft=draft,
            errors=errors or {},
            wabas=wabas,
            waba=waba_id or (wabas[0].waba_id if wabas else ""),
            languages=LANGUAGES,
            categories=CATEGORIES,
            category_labels=CATEGORY_LABELS,
            header_formats=HEADER_FORMATS,
            header_labels=HEADER_LABELS,
            button_labels=BUTTON_LABELS,
            buttons_max=BUTTONS_MAX,
            ttl_value=form_value(draft.send_ttl_seconds),
            ttl_rules={c: ttl_rule(c) for c in TTL_RANGES},
        ),
        status,
    )


@bp.route("/templates/new", methods=["GET"])
@admin_required
def new():
    return _render_form(TemplateDraft(name=""))


@bp.route("/templates/new", methods=["POST"])
@admin_required
def create():
    client = require_client()
    form = TemplateForm()
    draft = draft_from_form(request.form)
    waba = (request.form.get("waba_id") or "").strip()
    if not form.validate_on_submit():
        return _render_form(
            draft, {"meta": [_("Formulário expirado. Tente novamente.")]}, 400, waba
        )
    header_file = header_file_from(request.files.get("header_file"), draft.header_format)
    ttl_error = ttl_from_form(request.form)[1]
    if ttl_error:  # unreadable number: show it with every other error of the draft
        errors = check_draft(client.id, draft, header_file, waba or None)[0]
        errors["send_ttl_seconds"] = [ttl_error]
        return _render_form(draft, errors, 400, waba)
    try:
        template = create_template(
            client, draft, header_file, user_id=current_user.id, waba_id=waba or None
        )
    except TemplateError as exc:
        db.session.rollback()
        return _render_form(draft, exc.errors, 400, waba)
    flash(_("Modelo “%(name)s” enviado para análise da Meta.", name=template.name), "success")
    return redirect(url_for("templates.detail", template_id=template.id))


@bp.route("/templates/<int:template_id>/duplicate")
@admin_required
def duplicate_as_new(template_id: int):
    template = get_owned_or_404(Template, template_id)
    wabas = client_wabas(template.client_id)
    waba = template_waba_id(template, wabas[0].waba_id if wabas else None) or ""
    return _render_form(duplicate(template), waba_id=waba)


@bp.route("/templates/<int:template_id>")
@client_required
def detail(template_id: int):
    template = get_owned_or_404(Template, template_id)
    wabas = client_wabas(template.client_id)
    return render_template(
        "templates/detail.html",
        template=template,
        rendered=render_text(template.components or []),
        siblings=[t for t in same_name_templates(template) if t.id != template.id],
        history=status_history(template),
        wabas=wabas,
        waba_label=_waba_labels(wabas).get(template.waba_id, template.waba_id),
        action_form=ActionForm(),
        can_edit=is_client_admin(),
        category_labels=CATEGORY_LABELS,
        ttl_text=format_duration(template.send_ttl_seconds)
        if template.send_ttl_seconds is not None
        else None,
    )


@bp.route("/templates/<int:template_id>/delete", methods=["GET", "POST"])
@admin_required
def delete(template_id: int):
    client = require_client()
    template = get_owned_or_404(Template, template_id)
    form = ActionForm()
    doomed = same_name_templates(template)
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("Formulário expirado. Tente novamente."), "danger")
        else:
            try:
                removed = delete_template(client, template)
            except TemplateError as exc:
                db.session.rollback()
                for messages in exc.errors.values():
                    for message in messages:
                        flash(message, "danger")
            else:
                flash(_("Modelo excluído (%(count)s idioma(s)).", count=removed), "success")
                return redirect(url_for("templates.index"))
    return render_template("templates/delete.html", template=template, doomed=doomed, form=form)
