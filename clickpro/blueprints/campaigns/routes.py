"""Campaign pages: list, wizard, review/progress, actions, JSON for live updates, CSV.

Members (CLIENT_USER) may view; creating, editing, starting, pausing, resuming,
cancelling and retrying need CLIENT_ADMIN. Every rule is in ``services.campaigns``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from clickpro.blueprints.campaigns.forms import (
    ActionForm,
    SheetForm,
    WizardForm,
    campaign_data_from_form,
)
from clickpro.blueprints.campaigns.wizard_json import bp_json
from clickpro.blueprints.errors import json_error
from clickpro.extensions import db
from clickpro.guards import admin_required, client_required, is_client_admin
from clickpro.models import Campaign, Template, WhatsAppCredential
from clickpro.params import BadParameter, parse_id
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.campaigns import export as campaign_export
from clickpro.services.campaigns import service as svc
from clickpro.services.campaigns import stats
from clickpro.services.campaigns.audience import list_ids
from clickpro.services.campaigns.form import client_zone, scheduled_message
from clickpro.services.campaigns.numbers import campaign_number, number_choices, number_label
from clickpro.services.campaigns.queries import review_preview
from clickpro.services.campaigns.sheet import campaign_from_spreadsheet
from clickpro.services.templates.wabas import client_wabas
from clickpro.tenancy import get_owned_or_404, require_client, scoped

bp = Blueprint("campaigns", __name__, template_folder="templates")
bp_json(bp)

# action -> (service call with (client_id, campaign_id), flash message)
ACTIONS: dict[str, tuple[Callable[[int, int], object], Any]] = {
    "start": (svc.start_campaign, _l("Campanha iniciada.")),
    "pause": (svc.pause_campaign, _l("Campanha pausada.")),
    "resume": (svc.resume_campaign, _l("Campanha retomada.")),
    "cancel": (svc.cancel_campaign, _l("Campanha cancelada.")),
    "retry-failed": (svc.retry_failed, _l("%(n)s mensagem(ns) reenfileirada(s).")),
    "resend-unknown": (svc.resend_unknown, _l("%(n)s mensagem(ns) reenfileirada(s).")),
    "mark-unknown-failed": (
        svc.mark_unknown_failed,
        _l("%(n)s mensagem(ns) marcada(s) como falha."),
    ),
}


@bp.route("/campaigns")
@client_required
def index():
    client = require_client()
    campaigns = list(
        db.session.scalars(scoped(Campaign, client.id).order_by(Campaign.id.desc()).limit(200))
    )
    numbers = number_choices(client.id)
    # Every number of the client by id (removed ones too: old campaigns name them).
    labels = {
        n.id: number_label(n) for n in db.session.scalars(scoped(WhatsAppCredential, client.id))
    }
    return render_template(
        "campaigns/index.html",
        campaigns=campaigns,
        can_edit=is_client_admin(),
        number_labels=labels if len(numbers) > 1 else None,
        first_number_id=numbers[0].id if numbers else None,
    )


def _chosen_number_id(numbers: list, campaign: Campaign | None) -> int | None:
    """The number the wizard shows selected: the one posted back, else the campaign's,
    else the first number."""
    ids = {n.id for n in numbers}
    try:
        posted = parse_id(request.form.get("number_id"), "number_id")
    except BadParameter:
        posted = None
    if request.method == "POST" and posted in ids:
        return posted
    current = campaign_number(campaign) if campaign is not None else None
    if current is not None and current.id in ids:
        return current.id
    return numbers[0].id if numbers else None


def _wizard_context(client_id: int, campaign: Campaign | None) -> dict:
    templates = list(db.session.scalars(
        scoped(Template, client_id).where(Template.status == "APPROVED").order_by(Template.name)
    ))  # fmt: skip
    numbers = number_choices(client_id)
    chosen = _chosen_number_id(numbers, campaign)
    credential = next((n for n in numbers if n.id == chosen), None)
    default_waba = numbers[0].waba_id if numbers else ""
    include, exclude = list_ids(campaign.id) if campaign is not None and campaign.id else ([], [])
    scheduled_local = None
    if campaign is not None and campaign.scheduled_at is not None:
        scheduled_local = campaign.scheduled_at.astimezone(client_zone(client_id)).strftime(
            "%Y-%m-%dT%H:%M"
        )
    return {
        "templates": templates,
        # Legacy templates (no WABA yet) are the first number's WABA's.
        "template_waba": {t.id: t.waba_id or default_waba for t in templates},
        "fitting_templates": sum(
            1 for t in templates if credential and (t.waba_id or default_waba) == credential.waba_id
        ),
        "numbers": numbers,
        "number_id": chosen,
        "number_label": number_label,
        "lists": svc.lists_for_client(client_id),
        "include": include,
        "exclude": exclude,
        "throughput": credential.throughput_mps if credential else 80,
        "credential": credential,
        "scheduled_local": scheduled_local,
        "form": WizardForm(),
    }


@bp.route("/campaigns/new", methods=["GET", "POST"])
@admin_required
def new():
    return _wizard(None)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(campaign_id: int):
    campaign = get_owned_or_404(Campaign, campaign_id)
    if campaign.status not in svc.EDITABLE:
        flash(
            _(
                "Não é possível editar uma campanha %(status)s.",
                status=svc.status_label(campaign.status),
            ),
            "warning",
        )
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return _wizard(campaign)


def _wizard(campaign: Campaign | None):
    client = require_client()
    form = WizardForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        data = campaign_data_from_form(request.form)
        try:
            saved = svc.save_campaign(
                client.id,
                data,
                campaign_id=campaign.id if campaign else None,
                user_id=current_user.id,
            )
        except svc.CampaignError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            flash(_("Campanha salva. Revise e inicie."), "success")
            return redirect(url_for("campaigns.detail", campaign_id=saved.id))
    context = _wizard_context(client.id, campaign)
    values = request.form if request.method == "POST" else None
    return render_template(
        "campaigns/form.html", campaign=campaign, error=error, values=values, **context
    )


@bp.route("/campaigns/<int:campaign_id>")
@client_required
def detail(campaign_id: int):
    campaign = get_owned_or_404(Campaign, campaign_id)
    template = db.session.get(Template, campaign.template_id) if campaign.template_id else None
    review = None
    if campaign.status in svc.EDITABLE:
        count = svc.audience_of(campaign)
        review = {
            "audience": count,
            "tier_warning": svc.tier_warning(
                campaign.client_id, count.eligible, campaign_number(campaign)
            ),
            "errors": svc.readiness_errors(campaign, _now()) if campaign.status == "DRAFT" else [],
        }
    preview = review_preview(campaign, template)  # rendered for a real recipient
    return render_template(
        "campaigns/detail.html", campaign=campaign, template=template, review=review, preview=preview,
        number=campaign_number(campaign), number_label=number_label,
        several_numbers=len(number_choices(campaign.client_id)) > 1,
        can_edit=is_client_admin(), form=ActionForm(), zone=client_zone(campaign.client_id),
        status_label=svc.status_label,
    )  # fmt: skip


def _now():
    from clickpro.models.base import utcnow

    return utcnow()


@bp.route("/campaigns/<int:campaign_id>/<action>", methods=["POST"])
@admin_required
def act(campaign_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    campaign = get_owned_or_404(Campaign, campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    func, message = ACTIONS[action]
    wants_json = request.accept_mimetypes.best == "application/json" or request.is_json
    try:
        result = func(campaign.client_id, campaign.id)
    except svc.CampaignError as exc:
        db.session.rollback()
        if wants_json:
            return json_error(exc)  # {"error": {"code", "message", "details"}}
        flash(str(exc), "danger")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    text = str(message) % {"n": result} if isinstance(result, int) else str(message)
    if action == "start" and isinstance(result, Campaign) and result.status == "SCHEDULED":
        text = scheduled_message(result)
    if wants_json:
        return jsonify(ok=True, message=text)
    flash(text, "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/campaigns/from-sheet", methods=["GET", "POST"])
@admin_required
def from_sheet():
    """Shortcut: upload a spreadsheet → it becomes the audience list and the variables."""
    client = require_client()
    form = SheetForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise svc.CampaignError(_("Escolha a planilha (.csv ou .xlsx)."))
            campaign = campaign_from_spreadsheet(
                client.id, current_user.id, stream=upload.stream, filename=upload.filename,
                name=request.form.get("name", ""), template_id=parse_id(request.form.get("template_id"), "template_id") or 0,
                update_existing=bool(request.form.get("update_existing")),
            )  # fmt: skip
        except (svc.CampaignError, BadParameter) as exc:
            db.session.rollback()
            error = str(exc)
        else:
            flash(
                _("Planilha recebida: confira as variáveis e o ritmo, depois revise e inicie."),
                "success",
            )
            return redirect(url_for("campaigns.edit", campaign_id=campaign.id))
    templates = list(db.session.scalars(
        scoped(Template, client.id).where(Template.status == "APPROVED").order_by(Template.name)
    ))  # fmt: skip
    wabas = client_wabas(client.id)
    labels = {w.waba_id: w.label for w in wabas}
    if wabas:
        labels[""] = wabas[0].label  # templates stored before they had a WABA
    return render_template(
        "campaigns/from_sheet.html",
        form=form,
        templates=templates,
        error=error,
        waba_labels=labels if len(wabas) > 1 else None,
    )


@bp.route("/campaigns/<int:campaign_id>/progress.json")
@client_required
def progress(campaign_id: int):
    campaign = get_owned_or_404(Campaign, campaign_id)
    return jsonify(stats.progress(campaign))


@bp.route("/campaigns/<int:campaign_id>/export.csv")
@client_required
def export(campaign_id: int):
    campaign = get_owned_or_404(Campaign, campaign_id)
    filename = f"campanha-{campaign.id}.csv"
    audit_record(Action.EXPORT_DOWNLOADED, campaign, export="campaign_csv")
    return Response(
        stream_with_context(campaign_export.export_rows(campaign)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


__all__ = ["bp"]
