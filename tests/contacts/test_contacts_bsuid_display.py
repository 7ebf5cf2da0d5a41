"""Username-only contacts on the contacts pages: labels, search by username, the form."""

from __future__ import annotations

import pytest
from flask import render_template_string

from clickpro.extensions import db
from clickpro.models import Contact
from clickpro.services.contacts.display import contact_label
from clickpro.services.contacts.service import (
    ContactError,
    ContactFilters,
    create_contact,
    search_contacts,
)

BSUID = "BR.1502576394655843"


def _user(tenant, bsuid=BSUID, username="joão.conceição", name="João"):
    contact = Contact(client_id=tenant.id, phone_e164=None, bsuid=bsuid, username=username,
                      name=name)  # fmt: skip
    db.session.add(contact)
    db.session.commit()
    return contact


def test_contact_label_rules(app):
    with app.test_request_context():
        assert contact_label({"phone_e164": "+5511955550001", "username": "x"}) == (
            "+55 11 95555-0001"
        )
        assert contact_label({"phone_e164": None, "username": "ana", "bsuid": BSUID}) == "@ana"
        assert contact_label({"username": "@ana"}) == "@ana"  # stored as Meta sent it
        assert contact_label({"bsuid": BSUID}) == "Usuário do WhatsApp · 655843"
        assert render_template_string("{{ c|contact_label }}", c={"bsuid": BSUID}).endswith(
            "655843"
        )


def test_search_by_username_accent_insensitive_and_by_bsuid(create_client, create_contact):
    tenant = create_client()
    user = _user(tenant)
    create_contact(tenant, "+5511987654321", "Maria")
    _user(create_client(), username="joao.conceicao")  # another client's

    def found(q):
        return [c.id for c in search_contacts(tenant.id, ContactFilters(q=q)).items]

    assert found("joao.conceicao") == [user.id]
    assert found("@JOÃO") == [user.id]
    assert found("BR.15025763") == [user.id]
    assert found("maria") != [user.id]


def test_list_and_detail_show_the_username(create_client, login_as):
    tenant = create_client()
    user = _user(tenant)
    nameless = _user(tenant, bsuid="BR.42000000777777", username=None, name="")
    web = login_as(tenant.admin, tenant)
    listing = web.get("/contacts").get_data(as_text=True)
    assert "@joão.conceição" in listing and "Usuário do WhatsApp · 777777" in listing
    detail = web.get(f"/contacts/{user.id}").get_data(as_text=True)
    assert "@joão.conceição" in detail and BSUID in detail
    assert "Usuário do WhatsApp · 777777" in web.get(f"/contacts/{nameless.id}").get_data(
        as_text=True
    )
    exported = web.get("/contacts/export.csv")
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"  # once
    csv_text = exported.get_data().decode("utf-8-sig")
    assert BSUID in csv_text and "joão.conceição" in csv_text


def test_form_creates_and_edits_a_contact_by_bsuid(create_client, login_as):
    tenant = create_client()
    web = login_as(tenant.admin, tenant)
    response = web.post("/contacts/new", data={"phone": "", "bsuid": BSUID, "username": "sheena",
                                                "name": "Sheena"})  # fmt: skip
    assert response.status_code == 302
    contact = db.session.scalar(db.select(Contact).where(Contact.bsuid == BSUID))
    assert contact.phone_e164 is None and contact.username == "sheena"
    refused = web.post("/contacts/new", data={"phone": "", "bsuid": "", "name": "Ninguém"})
    assert refused.status_code == 400
    assert "telefone ou o BSUID" in refused.get_data(as_text=True)
    invalid = web.post("/contacts/new", data={"bsuid": "br.123", "name": "X"})
    assert invalid.status_code == 400 and "BSUID inválido" in invalid.get_data(as_text=True)
    edited = web.post(f"/contacts/{contact.id}/edit",
                      data={"phone": "11987654321", "bsuid": BSUID, "name": "Sheena"})  # fmt: skip
    assert edited.status_code == 302
    db.session.refresh(contact)
    assert contact.phone_e164 == "+5511987654321" and contact.bsuid == BSUID


def test_service_refuses_a_taken_bsuid(create_client):
    tenant = create_client()
    _user(tenant)
    with pytest.raises(ContactError) as refused:
        create_contact(tenant.id, None, "Outro", bsuid=BSUID)
    assert refused.value.field == "bsuid"
