"""Audit log pages: a client admin reads (filters, pages, exports) their client's entries.

Read-only by construction: there is no route that edits or deletes an entry. The super
admin reads every client's entries in Flask-Admin (``/admin/audit_log/``, read-only).
The same page holds the client's two-factor policy (members without 2FA must enroll).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from clickpro.blueprints.auth.forms import CsrfOnlyForm
from clickpro.csv_safe import ExcelCsv
from clickpro.guards import admin_required
from clickpro.i18n import valid_zone
from clickpro.params import arg_date, arg_id, arg_int
from clickpro.services import audit
from clickpro.services.accounts import two_factor
from clickpro.services.audit import ACTIONS, Action, AuditFilter
from clickpro.services.audit.actions import label
from clickpro.services.audit.queries import EXPORT_HEADER
from clickpro.tenancy import require_client

bp = Blueprint("audit", __name__, template_folder="templates")


def _filter(client_id: int) -> AuditFilter:
    action = request.args.get("action") or None
    if action is not None and action not in ACTIONS:
        action = None  # an unknown code matches nothing useful: show everything
    return AuditFilter(
        client_id=client_id,
        action=action,
        user_id=arg_id("user"),
        date_from=arg_date("from"),
        date_to=arg_date("to"),
    )


def _args(flt: AuditFilter) -> dict[str, Any]:
    values: dict[str, str | int | date | None] = {
        "action": flt.action,
        "user": flt.user_id,
        "from": flt.date_from,
        "to": flt.date_to,
    }
    return {key: str(value) for key, value in values.items() if value is not None}


@bp.route("/audit")
@admin_required
def index():
    client = require_client()
    flt = _filter(client.id)
    page = arg_int("page", minimum=1, default=1) or 1
    entries = audit.entries_for(flt, page=page, per_page=int(current_app.config["AUDIT_PAGE_SIZE"]))
    args = _args(flt)
    return render_template(
        "audit/index.html",
        entries=entries,
        flt=flt,
        args=args,
        actions=ACTIONS,
        label=label,
        actors=audit.actors_of(client.id),
        next_url=url_for("audit.index", page=page + 1, **args) if entries.has_next else None,
        prev_url=url_for("audit.index", page=page - 1, **args) if entries.has_prev else None,
        require_two_factor=two_factor.client_requires(client),
        policy_form=CsrfOnlyForm(),
    )


@bp.route("/audit/export.csv")
@admin_required
def export():
    client = require_client()
    flt = _filter(client.id)
    limit = int(current_app.config["AUDIT_EXPORT_MAX_ROWS"])
    audit.record(
        Action.EXPORT_DOWNLOADED, ("audit_log", None), export="audit_log", filters=_args(flt)
    )

    # Excel pt-BR (BOM, ";", CRLF, formula-safe); moments stay ISO 8601 with their offset
    # (an audit trail keeps the second and the zone).
    sheet = ExcelCsv(ZoneInfo(valid_zone(client.timezone)))

    def lines():
        chunk = [sheet.header(EXPORT_HEADER)]
        for row in audit.export_rows(flt, limit=limit):
            chunk.append(sheet.line(row))
            if len(chunk) >= 1000:
                yield "".join(chunk)
                chunk = []
        yield "".join(chunk)

    filename = f"auditoria-{client.slug}.csv"
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@bp.route("/audit/two-factor-policy", methods=["POST"])
@admin_required
def two_factor_policy():
    client = require_client()
    if not CsrfOnlyForm().validate_on_submit():
        flash(_("Formulário expirado. Tente novamente."), "danger")
        return redirect(url_for("audit.index"))
    required = request.form.get("require_two_factor") == "on"
    two_factor.set_client_requirement(client, required)
    if required:
        flash(_("Os membros sem verificação em duas etapas terão de ativá-la."), "success")
    else:
        flash(_("A verificação em duas etapas deixou de ser obrigatória."), "info")
    return redirect(url_for("audit.index"))
