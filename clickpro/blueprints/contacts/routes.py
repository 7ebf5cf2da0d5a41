"""Contacts pages: search/filter (keyset-paged), detail, add/edit, LGPD delete and export.

Lists, opt-outs and imports live in sibling modules that register on this ``bp``
(``routes_lists``, ``routes_optouts``, ``routes_imports``); rules live in the services.
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from clickpro import params
from clickpro.blueprints.contacts.forms import ContactForm, CsrfForm
from clickpro.blueprints.errors import form_error
from clickpro.guards import client_required
from clickpro.models import Contact, ContactList
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.contacts import lists as contact_lists
from clickpro.services.contacts.export_csv import contacts_csv
from clickpro.services.contacts.service import (
    ContactError,
    ContactFilters,
    create_contact,
    delete_contact,
    export_contact,
    is_opted_out,
    lists_of,
    recent_messages,
    search_contacts,
    update_contact,
)
from clickpro.tenancy import get_owned_or_404, require_client

bp = Blueprint("contacts", __name__, template_folder="templates")


def int_arg(name: str) -> int | None:
    """A range-checked id from the query string (a bad one is a 400 with the reason)."""
    return params.arg_int(name, maximum=params.MAX_ID)


def tri_arg(name: str) -> bool | None:
    return {"1": True, "0": False}.get(request.args.get(name, ""))


def _filters() -> ContactFilters:
    client = require_client()
    list_id = int_arg("list")
    if list_id is not None:
        list_id = get_owned_or_404(ContactList, list_id, client.id).id
    return ContactFilters(
        q=request.args.get("q", "")[:100],
        list_id=list_id,
        opted_out=tri_arg("opted_out"),
        has_conversation=tri_arg("conv"),
    )


@bp.route("/contacts")
@client_required
def index():
    client = require_client()
    filters = _filters()
    cursor = int_arg("cursor")
    page = search_contacts(client.id, filters, cursor=cursor)
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor" and v}
    next_url = (
        url_for("contacts.index", cursor=page.next_cursor, **args) if page.next_cursor else None
    )
    first_url = url_for("contacts.index", **args) if cursor else None
    return render_template(
        "contacts/index.html",
        page=page,
        filters=filters,
        lists=contact_lists.all_lists(client.id),
        next_url=next_url,
        first_url=first_url,
    )


def _attributes_from_form() -> dict[str, str]:
    keys = request.form.getlist("attr_key")
    values = request.form.getlist("attr_value")
    pairs: dict[str, str] = {}
    for key, value in zip(keys, values, strict=False):
        if key.strip():
            if key.strip() in pairs:
                raise ContactError(_("Atributo repetido: %(key)s", key=key.strip()))
            pairs[key.strip()] = value
    return pairs


@bp.route("/contacts/new", methods=["GET", "POST"])
@client_required
def new():
    client = require_client()
    form = ContactForm()
    attributes: dict = {}
    if form.validate_on_submit():
        try:
            attributes = _attributes_from_form()
            contact = create_contact(
                client.id,
                form.phone.data or "",
                form.name.data or "",
                attributes,
                bsuid=form.bsuid.data or None,
                username=form.username.data or None,
            )
        except ContactError as exc:  # under its field (phone), else flashed (attributes)
            form_error(form, exc)
        else:
            flash(_("Contato criado."), "success")
            return redirect(url_for("contacts.detail", contact_id=contact.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "contacts/form.html", form=form, contact=None, attributes=attributes
    ), status


@bp.route("/contacts/<int:contact_id>")
@client_required
def detail(contact_id: int):
    contact = get_owned_or_404(Contact, contact_id)
    return render_template(
        "contacts/detail.html",
        contact=contact,
        lists=lists_of(contact),
        messages=recent_messages(contact, 50),
        opted_out=is_opted_out(contact.client_id, contact.phone_e164, contact.bsuid),
        all_lists=contact_lists.all_lists(contact.client_id),
        csrf_form=CsrfForm(),
    )


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@client_required
def edit(contact_id: int):
    contact = get_owned_or_404(Contact, contact_id)
    form = ContactForm(obj=None if request.method == "POST" else contact)
    if request.method == "GET":
        form.phone.data = contact.phone_e164
    attributes = dict(contact.attributes or {})
    if form.validate_on_submit():
        try:
            attributes = _attributes_from_form()
            update_contact(
                contact,
                phone=form.phone.data or "",
                name=form.name.data or "",
                attributes=attributes,
                bsuid=form.bsuid.data or None,
                username=form.username.data or None,
            )
        except ContactError as exc:  # under its field (phone), else flashed (attributes)
            form_error(form, exc)
        else:
            flash(_("Contato atualizado."), "success")
            return redirect(url_for("contacts.detail", contact_id=contact.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "contacts/form.html", form=form, contact=contact, attributes=attributes
    ), status


@bp.route("/contacts/<int:contact_id>/delete", methods=["POST"])
@client_required
def delete(contact_id: int):
    contact = get_owned_or_404(Contact, contact_id)
    form = CsrfForm()
    if not form.validate_on_submit():
        flash(_("Sessão expirada; tente de novo."), "danger")
        return redirect(url_for("contacts.detail", contact_id=contact.id))
    delete_contact(contact)
    flash(
        _("Contato excluído com suas mensagens e listas. Se havia descadastro, ele foi mantido."),
        "success",
    )
    return redirect(url_for("contacts.index"))


@bp.route("/contacts/export.csv")
@client_required
def export_csv():
    """The contacts of the current search and filters, for Excel pt-BR."""
    client = require_client()
    lines = contacts_csv(client.id, _filters())
    audit_record(Action.EXPORT_DOWNLOADED, ("contacts", None), export="contacts_csv")
    return Response(
        stream_with_context(lines),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contatos.csv"'},
    )


@bp.route("/contacts/<int:contact_id>/export.json")
@client_required
def export(contact_id: int):
    contact = get_owned_or_404(Contact, contact_id)
    body = json.dumps(export_contact(contact), ensure_ascii=False, indent=2)
    audit_record(Action.EXPORT_DOWNLOADED, contact, export="contact_json")
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="contato-{contact.id}.json"'},
    )
