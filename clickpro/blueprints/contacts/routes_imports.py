"""Spreadsheet imports: upload → column mapping → start → live progress → summary/report."""

from __future__ import annotations

from flask import (
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from clickpro.blueprints.contacts.forms import CsrfForm, UploadForm
from clickpro.blueprints.contacts.routes import bp
from clickpro.guards import client_required
from clickpro.models import ContactImport, ContactList, ImportStatus
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.contacts import lists as contact_lists
from clickpro.services.contacts.imports import service
from clickpro.services.contacts.imports.report import report_rows
from clickpro.services.contacts.imports.service import ContactImportError
from clickpro.tenancy import get_owned_or_404, require_client

HISTORY_SIZE = 30
REPORT_ROWS = 100


def _upload_form() -> UploadForm:
    form = UploadForm()
    lists = contact_lists.all_lists(require_client().id)
    form.list_id.choices = [("", _("— nova lista —"))] + [(str(lst.id), lst.name) for lst in lists]
    return form


@bp.route("/contacts/imports")
@client_required
def imports():
    client = require_client()
    rows = service.recent_imports(client.id, HISTORY_SIZE)
    return render_template("contacts/imports.html", rows=rows)


@bp.route("/contacts/imports/new", methods=["GET", "POST"])
@client_required
def import_new():
    client = require_client()
    form = _upload_form()
    if request.method == "GET":
        wanted = request.args.get("list", "")
        if wanted.isdigit():
            form.list_id.data = wanted
        return render_template("contacts/import_new.html", form=form)
    if not form.validate_on_submit():
        return render_template("contacts/import_new.html", form=form), 400
    chosen = form.list_id.data or None
    list_id: int | None = None
    if chosen is not None:
        list_id = get_owned_or_404(ContactList, chosen, client.id).id
    upload = form.file.data
    try:
        imp = service.create_import(
            client.id,
            current_user.id,
            stream_or_path=upload,
            filename=upload.filename or "planilha",
            list_id=list_id,
            list_name=form.list_name.data or None,
            sheet=form.sheet.data or None,
        )
    except ContactImportError as exc:
        form.file.errors.append(str(exc))
        return render_template("contacts/import_new.html", form=form), 400
    return redirect(url_for("contacts.import_mapping", import_id=imp.id))


def _mapping_from_form(width: int) -> tuple[dict, dict]:
    """``phone``/``bsuid``/``name`` selects and one ``attr_<i>`` key input per column
    (blank = ignore)."""
    attributes = {}
    for index in range(width):
        key = (request.form.get(f"attr_{index}") or "").strip()
        if key and request.form.get(f"use_{index}"):
            attributes[str(index)] = key
    mapping = {
        "phone": request.form.get("phone", ""),
        "bsuid": request.form.get("bsuid", ""),
        "name": request.form.get("name", ""),
        "attributes": attributes,
    }
    options = {
        "mobile_only": bool(request.form.get("mobile_only")),
        "update_existing": bool(request.form.get("update_existing")),
    }
    return mapping, options


@bp.route("/contacts/imports/<int:import_id>/mapping", methods=["GET", "POST"])
@client_required
def import_mapping(import_id: int):
    imp = get_owned_or_404(ContactImport, import_id)
    if imp.status != ImportStatus.QUEUED or imp.rows:
        return redirect(url_for("contacts.import_detail", import_id=imp.id))
    try:
        header, rows, sheets, suggested = service.preview_import(imp.id)
    except ContactImportError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("contacts.import_new"))
    form = CsrfForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            error = _("Sessão expirada; tente de novo.")
        else:
            mapping, options = _mapping_from_form(len(header))
            try:
                service.set_mapping(imp.id, mapping, options)
                service.start_import(imp.id)
            except ContactImportError as exc:
                error = str(exc)
                suggested = {**mapping, **options}
            else:
                return redirect(url_for("contacts.import_detail", import_id=imp.id))
    return (
        render_template(
            "contacts/import_mapping.html",
            imp=imp,
            header=header,
            rows=rows,
            sheets=sheets,
            suggested=suggested,
            form=form,
            error=error,
        ),
        400 if error else 200,
    )


@bp.route("/contacts/imports/<int:import_id>/sheet", methods=["POST"])
@client_required
def import_sheet(import_id: int):
    imp = get_owned_or_404(ContactImport, import_id)
    if CsrfForm().validate_on_submit():
        try:
            service.choose_sheet(imp.id, request.form.get("sheet", ""))
        except ContactImportError as exc:
            flash(str(exc), "danger")
    return redirect(url_for("contacts.import_mapping", import_id=imp.id))


@bp.route("/contacts/imports/<int:import_id>")
@client_required
def import_detail(import_id: int):
    imp = get_owned_or_404(ContactImport, import_id)
    contact_list = get_owned_or_404(ContactList, imp.list_id) if imp.list_id else None
    return render_template(
        "contacts/import_detail.html",
        imp=imp,
        contact_list=contact_list,
        progress=service.progress_json(imp),
        report=report_rows(imp, REPORT_ROWS),
        report_rows_max=REPORT_ROWS,
        csrf_form=CsrfForm(),
    )


@bp.route("/contacts/imports/<int:import_id>/progress.json")
@client_required
def import_progress(import_id: int):
    imp = get_owned_or_404(ContactImport, import_id)
    return jsonify(service.progress_json(imp))


@bp.route("/contacts/imports/<int:import_id>/resume", methods=["POST"])
@client_required
def import_resume(import_id: int):
    imp = get_owned_or_404(ContactImport, import_id)
    if CsrfForm().validate_on_submit():
        try:
            service.resume_import(imp.id)
        except ContactImportError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Importação retomada a partir da última parte gravada."), "success")
    return redirect(url_for("contacts.import_detail", import_id=imp.id))


@bp.route("/contacts/imports/<int:import_id>/rejected.csv")
@client_required
def import_rejected(import_id: int):
    imp = get_owned_or_404(ContactImport, import_id)
    lines = service.rejected_rows_csv(imp.id)
    audit_record(Action.EXPORT_DOWNLOADED, imp, export="import_rejected_csv")
    body = stream_with_context(line.encode("utf-8") for line in lines)
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="importacao-{imp.id}-rejeitadas.csv"'
        },
    )
