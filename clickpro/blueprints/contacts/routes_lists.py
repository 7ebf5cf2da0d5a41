"""Lists pages: create, rename, delete, members (keyset-paged), add/remove contacts."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clickpro.blueprints.contacts.forms import AddToListForm, CsrfForm, ListForm
from clickpro.blueprints.contacts.routes import bp, int_arg
from clickpro.blueprints.errors import form_error
from clickpro.guards import client_required
from clickpro.models import Contact, ContactList
from clickpro.services.contacts import lists as contact_lists
from clickpro.services.contacts.lists import ListError
from clickpro.tenancy import get_owned_or_404, require_client


@bp.route("/contacts/lists", methods=["GET", "POST"])
@client_required
def lists():
    client = require_client()
    form = ListForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                created = contact_lists.create_list(client.id, form.name.data or "")
            except ListError as exc:
                form_error(form, exc)
            else:
                flash(_("Lista criada."), "success")
                return redirect(url_for("contacts.list_detail", list_id=created.id))
        status = 400
    return (
        render_template(
            "contacts/lists.html",
            rows=contact_lists.lists_with_counts(client.id),
            form=form,
            csrf_form=CsrfForm(),
        ),
        status,
    )


@bp.route("/contacts/lists/<int:list_id>")
@client_required
def list_detail(list_id: int):
    contact_list = get_owned_or_404(ContactList, list_id)
    cursor = int_arg("cursor")
    page = contact_lists.list_members(contact_list, cursor=cursor)
    next_url = (
        url_for("contacts.list_detail", list_id=list_id, cursor=page.next_cursor)
        if page.next_cursor
        else None
    )
    first_url = url_for("contacts.list_detail", list_id=list_id) if cursor else None
    return render_template(
        "contacts/list_detail.html",
        contact_list=contact_list,
        page=page,
        next_url=next_url,
        first_url=first_url,
        rename_form=ListForm(name=contact_list.name),
        add_form=AddToListForm(),
        csrf_form=CsrfForm(),
    )


@bp.route("/contacts/lists/<int:list_id>/rename", methods=["POST"])
@client_required
def list_rename(list_id: int):
    contact_list = get_owned_or_404(ContactList, list_id)
    form = ListForm()
    if form.validate_on_submit():
        try:
            contact_lists.rename_list(contact_list, form.name.data or "")
        except ListError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Lista renomeada."), "success")
    else:
        flash(_("Informe o nome da lista."), "danger")
    return redirect(url_for("contacts.list_detail", list_id=list_id))


@bp.route("/contacts/lists/<int:list_id>/delete", methods=["POST"])
@client_required
def list_delete(list_id: int):
    contact_list = get_owned_or_404(ContactList, list_id)
    if CsrfForm().validate_on_submit():
        contact_lists.delete_list(contact_list)
        flash(_("Lista excluída (os contatos continuam cadastrados)."), "success")
    return redirect(url_for("contacts.lists"))


@bp.route("/contacts/<int:contact_id>/lists", methods=["POST"])
@client_required
def add_to_list(contact_id: int):
    contact = get_owned_or_404(Contact, contact_id)
    contact_list = get_owned_or_404(ContactList, request.form.get("list_id"))
    if CsrfForm().validate_on_submit():
        contact_lists.add_contacts(contact_list, [contact.id])
        flash(_("Contato adicionado à lista %(name)s.", name=contact_list.name), "success")
    return redirect(url_for("contacts.detail", contact_id=contact.id))


@bp.route("/contacts/lists/<int:list_id>/add", methods=["POST"])
@client_required
def list_add(list_id: int):
    contact_list = get_owned_or_404(ContactList, list_id)
    form = AddToListForm()
    if not form.validate_on_submit():
        flash(_("Informe ao menos um telefone."), "danger")
        return redirect(url_for("contacts.list_detail", list_id=list_id))
    added, missing = contact_lists.add_phones(contact_list, (form.phones.data or "").splitlines())
    flash(_("%(n)d contato(s) adicionado(s).", n=added), "success")
    if missing:
        shown = ", ".join(missing[:10])
        flash(_("Sem contato cadastrado ou inválido: %(phones)s", phones=shown), "warning")
    return redirect(url_for("contacts.list_detail", list_id=list_id))


@bp.route("/contacts/lists/<int:list_id>/remove/<int:contact_id>", methods=["POST"])
@client_required
def list_remove(list_id: int, contact_id: int):
    contact_list = get_owned_or_404(ContactList, list_id)
    contact = get_owned_or_404(Contact, contact_id)
    if CsrfForm().validate_on_submit():
        contact_lists.remove_contact(contact_list, contact.id)
        flash(_("Contato removido da lista."), "success")
    if request.form.get("next") == "contact":
        return redirect(url_for("contacts.detail", contact_id=contact.id))
    return redirect(url_for("contacts.list_detail", list_id=list_id))
