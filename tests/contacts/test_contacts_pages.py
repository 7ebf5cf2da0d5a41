"""Contacts: search/filter/keyset pagination, detail, add/edit, LGPD delete and export."""

from __future__ import annotations

import json

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Contact, ContactListMember, Message, OptOut
from clickpro.services.contacts.optout import add_opt_out
from clickpro.services.contacts.service import ContactFilters, search_contacts


def _walk(client_id, filters, limit):
    """Every page's ids, following next_cursor."""
    pages, cursor = [], None
    while True:
        page = search_contacts(client_id, filters, cursor=cursor, limit=limit)
        pages.append([c.id for c in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_keyset_pagination_walks_every_contact_once(create_client, create_contact):
    tenant = create_client()
    ids = [create_contact(tenant).id for _ in range(7)]
    pages = _walk(tenant.id, ContactFilters(), limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    flat = [i for p in pages for i in p]
    assert flat == sorted(ids, reverse=True)
    exact = _walk(tenant.id, ContactFilters(), limit=7)
    assert exact == [sorted(ids, reverse=True)]  # no empty trailing page


def test_search_is_accent_insensitive_and_matches_phone(create_client, create_contact):
    tenant = create_client()
    joao = create_contact(tenant, "+5511987654321", "João Conceição")
    create_contact(tenant, "+5521999990000", "Maria")
    other = create_client()
    create_contact(other, "+5511987654321", "João de outro cliente")

    def found(q):
        return [c.id for c in search_contacts(tenant.id, ContactFilters(q=q)).items]

    assert found("joao") == [joao.id]
    assert found("CONCEICAO") == [joao.id]
    assert found("Conceição") == [joao.id]
    assert found("98765") == [joao.id]
    assert found("(11) 98765-4321") == [joao.id]
    assert found("ninguém") == []


def test_filters_list_opted_out_and_conversation(create_client, create_contact, create_list):
    from datetime import UTC, datetime

    tenant = create_client()
    a = create_contact(tenant, name="A")
    b = create_contact(tenant, name="B", last_message_at=datetime.now(UTC))
    c = create_contact(tenant, name="C")
    lst = create_list(tenant, contacts=[a, b])
    add_opt_out(tenant.id, c.phone_e164)

    def ids(**kw):
        return {x.id for x in search_contacts(tenant.id, ContactFilters(**kw)).items}

    assert ids(list_id=lst.id) == {a.id, b.id}
    assert ids(opted_out=True) == {c.id}
    assert ids(opted_out=False) == {a.id, b.id}
    assert ids(has_conversation=True) == {b.id}
    assert ids(has_conversation=False, list_id=lst.id) == {a.id}
    page = search_contacts(tenant.id, ContactFilters())
    assert page.opted_out_phones == {c.phone_e164}


def test_contacts_page_filters_badge_and_next_link(client, create_client, create_contact, login_as):
    tenant = create_client()
    contacts = [create_contact(tenant, name=f"Pessoa {i}") for i in range(55)]
    add_opt_out(tenant.id, contacts[-1].phone_e164)
    login_as(tenant.admin, tenant)
    html = client.get("/contacts").get_data(as_text=True)
    assert "Pessoa 54" in html and "Pessoa 4<" not in html
    assert 'data-testid="opted-out-badge"' in html
    cursor = contacts[5].id
    assert f"cursor={cursor}" in html
    second = client.get(f"/contacts?cursor={cursor}").get_data(as_text=True)
    assert "Pessoa 4<" in second and "Pessoa 5<" not in second
    assert client.get("/contacts?q=pessoa+54&opted_out=1&conv=0").status_code == 200


def test_create_and_edit_contact_with_attributes(client, create_client, login_as):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    response = client.post(
        "/contacts/new",
        data={
            "phone": "(11) 98765-4321",
            "name": "Ana",
            "attr_key": ["Cidade", "Plano"],
            "attr_value": ["SP", "pró"],
        },
    )
    assert response.status_code == 302
    contact = db.session.scalar(sa.select(Contact))
    assert (contact.phone_e164, contact.name, contact.attributes) == (
        "+5511987654321",
        "Ana",
        {"cidade": "SP", "plano": "pró"},
    )
    bad = client.post("/contacts/new", data={"phone": "123", "name": "X"})
    assert bad.status_code == 400 and "Telefone inválido" in bad.get_data(as_text=True)
    dup = client.post("/contacts/new", data={"phone": "+55 11 98765-4321"})
    assert dup.status_code == 400 and "Já existe" in dup.get_data(as_text=True)
    assert "cidade" in client.get(f"/contacts/{contact.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/contacts/{contact.id}/edit",
        data={
            "phone": "21 99876-5432",
            "name": "Ana Souza",
            "attr_key": ["cidade", ""],
            "attr_value": ["RJ", "x"],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert (contact.phone_e164, contact.name, contact.attributes) == (
        "+5521998765432",
        "Ana Souza",
        {"cidade": "RJ"},
    )


def test_detail_shows_attributes_lists_messages(
    client, create_client, create_contact, create_list, create_message, login_as
):
    tenant = create_client()
    contact = create_contact(tenant, name="Bia", attributes={"cidade": "Recife"})
    create_list(tenant, "Clientes VIP", contacts=[contact])
    for i in range(55):
        create_message(tenant, contact, body=f"msg-{i:02d}")
    login_as(tenant.admin, tenant)
    html = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Recife" in html and "Clientes VIP" in html
    assert "msg-54" in html and "msg-05" in html and "msg-04" not in html  # last 50


def test_lgpd_delete_erases_messages_and_memberships_keeps_opt_out(
    client, create_client, create_contact, create_list, create_message, login_as
):
    tenant = create_client()
    contact = create_contact(tenant, "+5511987654321", "Carla")
    keep = create_contact(tenant, name="Outro")
    lst = create_list(tenant, contacts=[contact, keep])
    create_message(tenant, contact)
    create_message(tenant, keep)
    add_opt_out(tenant.id, contact.phone_e164)
    from clickpro.models.inbox import ContactLabel, Label

    label = Label(client_id=tenant.id, name="vip")
    db.session.add(label)
    db.session.flush()
    db.session.add(ContactLabel(contact_id=contact.id, label_id=label.id))
    db.session.commit()
    login_as(tenant.admin, tenant)
    # Ids read before the delete: the request expires the test's objects.
    contact_id, keep_id, list_id = contact.id, keep.id, lst.id
    page = client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    assert "descadastro é mantido" in page  # the UI says the opt-out stays
    response = client.post(f"/contacts/{contact_id}/delete")
    assert response.status_code == 302
    assert db.session.get(Contact, contact_id) is None
    assert db.session.scalars(sa.select(Message.contact_id)).all() == [keep_id]
    members = db.session.scalars(
        sa.select(ContactListMember.contact_id).where(ContactListMember.list_id == list_id)
    )
    assert list(members) == [keep_id]
    assert db.session.scalar(sa.select(OptOut.phone_e164)) == "+5511987654321"
    assert db.session.scalars(sa.select(ContactLabel)).all() == []  # every trace goes


def test_export_json_contains_the_persons_data(
    client, create_client, create_contact, create_list, create_message, login_as
):
    tenant = create_client()
    contact = create_contact(tenant, "+5511987654321", "Dani", attributes={"plano": "pró"})
    create_list(tenant, "Lista X", contacts=[contact])
    create_message(tenant, contact, body="quero saber o preço")
    login_as(tenant.admin, tenant)
    response = client.get(f"/contacts/{contact.id}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["contact"]["phone_e164"] == "+5511987654321" and data["contact"]["name"] == "Dani"
    assert data["contact"]["attributes"] == {"plano": "pró"}
    assert data["lists"] == ["Lista X"] and data["opted_out"] is False
    assert [m["body"] for m in data["messages"]] == ["quero saber o preço"]


def test_contact_routes_are_tenant_isolated(client, tenants, create_contact, create_list, login_as):
    theirs = create_contact(tenants.b, name="Segredo")
    their_list = create_list(tenants.b, contacts=[theirs])
    mine = create_list(tenants.a)
    gets = (
        f"/contacts/{theirs.id}",
        f"/contacts/{theirs.id}/edit",
        f"/contacts/{theirs.id}/export.json",
        f"/contacts/lists/{their_list.id}",
        f"/contacts?list={their_list.id}",
    )
    posts = (
        f"/contacts/{theirs.id}/delete",
        f"/contacts/{theirs.id}/edit",
        f"/contacts/lists/{their_list.id}/rename",
        f"/contacts/lists/{their_list.id}/delete",
        f"/contacts/lists/{their_list.id}/add",
        f"/contacts/lists/{their_list.id}/remove/{theirs.id}",
        f"/contacts/lists/{mine.id}/remove/{theirs.id}",
    )
    # Export and delete are the admin's unless allowed (docs/roles.md): the agent is
    # refused them by role (403) before any row is looked up; the admin, who may use
    # every route, walks them all and gets 404 for B's rows.
    agent_refused = {
        f"/contacts/{theirs.id}/export.json",
        f"/contacts/{theirs.id}/delete",
        f"/contacts/lists/{their_list.id}/delete",
    }
    for user in (tenants.a.admin, tenants.a_user):
        login_as(user, tenants.a)
        for url in gets:
            expected = 403 if user is tenants.a_user and url in agent_refused else 404
            assert client.get(url).status_code == expected, (user.email, url)
        for url in posts:
            expected = 403 if user is tenants.a_user and url in agent_refused else 404
            response = client.post(url, data={"name": "x", "phone": "11987654321"})
            assert response.status_code == expected, (user.email, url)
    my_contact = create_contact(tenants.a, name="Meu")
    add = client.post(f"/contacts/{theirs.id}/lists", data={"list_id": mine.id})
    assert add.status_code == 404
    add = client.post(f"/contacts/{my_contact.id}/lists", data={"list_id": their_list.id})
    assert add.status_code == 404
    assert (
        client.post(f"/contacts/{my_contact.id}/lists", data={"list_id": mine.id}).status_code
        == 302
    )
    members = db.session.scalars(
        sa.select(ContactListMember.contact_id).where(ContactListMember.list_id == mine.id)
    )
    assert list(members) == [my_contact.id]
    assert "Segredo" not in client.get("/contacts?q=segredo").get_data(as_text=True)
    assert db.session.get(Contact, theirs.id) is not None
