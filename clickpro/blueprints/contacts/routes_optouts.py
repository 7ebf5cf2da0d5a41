"""Opt-outs page: list (keyset-paged, search), add, import a file of numbers, remove.

The rules (canonical phones, both Brazilian forms, signals) are in ``services.optout``.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clickpro.blueprints.contacts.forms import CsrfForm, OptOutForm, OptOutImportForm
from clickpro.blueprints.contacts.routes import bp, int_arg
from clickpro.guards import client_required
from clickpro.models import OptOut, OptOutSource
from clickpro.services.contacts import optout
from clickpro.services.contacts.bsuids import is_bsuid
from clickpro.services.contacts.imports.optout_import import import_opt_outs
from clickpro.services.contacts.imports.service import ContactImportError
from clickpro.services.contacts.phones import InvalidPhone, normalize_phone
from clickpro.services.contacts.service import search_opt_outs
from clickpro.tenancy import get_owned_or_404, require_client


def _render(form=None, import_form=None, status: int = 200):
    client = require_client()
    q = request.args.get("q", "")[:140]
    cursor = int_arg("cursor")
    rows, next_cursor = search_opt_outs(client.id, q, cursor=cursor)
    labels = optout.opt_out_labels(client.id, rows)
    args: dict[str, Any] = {"q": q} if q else {}
    return (
        render_template(
            "contacts/optouts.html",
            rows=rows,
            optout_labels=labels,
            q=q,
            next_url=url_for("contacts.optouts", cursor=next_cursor, **args)
            if next_cursor
            else None,
            first_url=url_for("contacts.optouts", **args) if cursor else None,
            form=form or OptOutForm(),
            import_form=import_form or OptOutImportForm(),
            csrf_form=CsrfForm(),
        ),
        status,
    )


@bp.route("/contacts/opt-outs")
@client_required
def optouts():
    return _render()


@bp.route("/contacts/opt-outs", methods=["POST"])
@client_required
def optout_add():
    client = require_client()
    form = OptOutForm()
    if not form.validate_on_submit():
        return _render(form, status=400)
    raw = (form.phone.data or "").strip()
    bsuid = raw if is_bsuid(raw) else None  # a username user's BSUID, else a phone
    phone = None
    if bsuid is None:
        try:
            phone = normalize_phone(raw, "BR")
        except InvalidPhone as exc:
            form.phone.errors = [
                *form.phone.errors,
                _("Telefone inválido: %(reason)s", reason=exc.message),
            ]
            return _render(form, status=400)
    reason = form.reason.data or ""
    if optout.add_opt_out(client.id, phone, OptOutSource.MANUAL, reason, bsuid=bsuid):
        phone = phone or bsuid
        flash(_("%(phone)s descadastrado: não receberá campanhas.", phone=phone), "success")
    else:
        flash(_("%(phone)s já estava descadastrado.", phone=phone or bsuid), "info")
    return redirect(url_for("contacts.optouts"))


@bp.route("/contacts/opt-outs/import", methods=["POST"])
@client_required
def optout_import():
    client = require_client()
    form = OptOutImportForm()
    if not form.validate_on_submit():
        return _render(import_form=form, status=400)
    try:
        result = import_opt_outs(
            client.id,
            form.file.data,
            _("Importado de %(name)s", name=form.file.data.filename or "arquivo"),
        )
    except ContactImportError as exc:
        form.file.errors.append(str(exc))
        return _render(import_form=form, status=400)
    flash(
        _(
            "%(added)d número(s) descadastrado(s), %(already)d já estavam, %(invalid)d inválido(s).",
            added=result.added,
            already=result.already,
            invalid=result.invalid_count,
        ),
        "success" if not result.invalid_count else "warning",
    )
    for line, raw, reason in result.invalid:
        flash(
            _("Linha %(line)d (%(raw)s): %(reason)s", line=line, raw=raw, reason=reason), "warning"
        )
    return redirect(url_for("contacts.optouts"))


@bp.route("/contacts/opt-outs/<int:optout_id>/remove", methods=["POST"])
@client_required
def optout_remove(optout_id: int):
    row = get_owned_or_404(OptOut, optout_id)
    if CsrfForm().validate_on_submit():
        phone = row.phone_e164 or row.bsuid
        optout.remove_opt_out(row.client_id, row.phone_e164, OptOutSource.MANUAL, bsuid=row.bsuid)
        flash(_("%(phone)s voltará a receber campanhas.", phone=phone), "success")
    return redirect(url_for("contacts.optouts"))
