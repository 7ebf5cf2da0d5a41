"""An import never overwrites an existing contact's name or attributes unless the person
ticked "Atualizar contatos existentes": by default it only fills what is empty."""

from __future__ import annotations

import io

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Contact, ContactImport
from clickpro.services.contacts.service import create_contact

SHEET = [
    ["telefone", "nome", "cidade", "plano", "time"],
    ["11987654321", "Ana Souza", "RJ", "pró", "Azul"],
    ["11977776666", "Bia", "Niterói", "", ""],
]


def _existing(tenant) -> tuple[Contact, Contact]:
    ana = create_contact(tenant.id, "11987654321", "Ana", {"cidade": "SP", "plano": ""})
    nameless = create_contact(tenant.id, "11977776666", "", {"cidade": ""})
    return ana, nameless


def test_default_keeps_existing_values_and_fills_only_empty(
    create_client, write_csv, run_file, contacts_of
):
    tenant = create_client()
    _existing(tenant)
    imp = run_file(tenant, write_csv(SHEET))
    assert imp.options["update_existing"] is False
    assert (imp.imported, imp.updated, imp.rejected) == (0, 2, 0)
    contacts = contacts_of(tenant)
    ana, bia = contacts["+5511987654321"], contacts["+5511977776666"]
    assert ana.name == "Ana"  # kept
    # cidade kept; the empty plano and the missing time are filled from the sheet
    assert ana.attributes == {"cidade": "SP", "plano": "pró", "time": "Azul"}
    assert bia.name == "Bia" and bia.attributes == {"cidade": "Niterói"}  # blanks filled


def test_update_existing_replaces_with_non_empty_cells(
    create_client, write_csv, run_file, contacts_of
):
    tenant = create_client()
    _existing(tenant)
    imp = run_file(tenant, write_csv(SHEET), update_existing=True)
    assert imp.options["update_existing"] is True
    ana = contacts_of(tenant)["+5511987654321"]
    assert ana.name == "Ana Souza"
    assert ana.attributes == {"cidade": "RJ", "plano": "pró", "time": "Azul"}


def test_empty_cells_never_erase_even_when_updating(
    create_client, write_csv, run_file, contacts_of
):
    tenant = create_client()
    create_contact(tenant.id, "11987654321", "Ana", {"cidade": "SP"})
    sheet = [["telefone", "nome", "cidade"], ["11987654321", "", ""]]
    run_file(tenant, write_csv(sheet), update_existing=True)
    ana = contacts_of(tenant)["+5511987654321"]
    assert ana.name == "Ana" and ana.attributes == {"cidade": "SP"}


def test_the_mapping_page_offers_the_choice_and_defaults_to_keep(client, create_client, login_as):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    create_contact(tenant.id, "11987654321", "Ana", {"cidade": "SP"})
    data = b"telefone;nome;cidade\r\n11987654321;Ana Souza;RJ\r\n"

    def upload() -> str:
        response = client.post(
            "/contacts/imports/new",
            data={"file": (io.BytesIO(data), "a.csv"), "list_id": "", "list_name": "", "sheet": ""},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        return response.headers["Location"]

    mapping_url = upload()
    page = client.get(mapping_url).get_data(as_text=True)
    assert 'name="update_existing"' in page and "Atualizar contatos existentes" in page
    assert 'id="update_existing" name="update_existing" value="1" checked' not in page
    form = {"phone": "0", "name": "1", "use_2": "1", "attr_2": "cidade"}
    assert client.post(mapping_url, data=form).status_code == 302
    ana = db.session.scalar(sa.select(Contact).where(Contact.client_id == tenant.id))
    assert (ana.name, ana.attributes) == ("Ana", {"cidade": "SP"})
    detail = client.get(
        f"/contacts/imports/{db.session.scalar(sa.select(sa.func.max(ContactImport.id)))}"
    ).get_data(as_text=True)
    assert "já cadastrados (dados mantidos)" in detail
    # Ticked: the sheet's values win.
    assert client.post(upload(), data={**form, "update_existing": "1"}).status_code == 302
    db.session.expire_all()
    ana = db.session.scalar(sa.select(Contact).where(Contact.client_id == tenant.id))
    assert (ana.name, ana.attributes) == ("Ana Souza", {"cidade": "RJ"})
