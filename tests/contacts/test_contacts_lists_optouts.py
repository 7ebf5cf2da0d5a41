"""Lists page (create/rename/delete/members/add/remove) and opt-outs page."""

from __future__ import annotations

import io

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import ContactList, ContactListMember, OptOut
from clickpro.services.contacts.optout import is_opted_out


def test_list_lifecycle(client, create_client, create_contact, login_as):
    tenant = create_client()
    ana = create_contact(tenant, "+5511987654321", "Ana")
    bia = create_contact(tenant, "+5521998765432", "Bia")
    login_as(tenant.admin, tenant)
    response = client.post("/contacts/lists", data={"name": "Clientes"})
    assert response.status_code == 302
    lst = db.session.scalar(sa.select(ContactList))
    assert client.post("/contacts/lists", data={"name": "Clientes"}).status_code == 400  # duplicate
    client.post(
        f"/contacts/lists/{lst.id}/add",
        data={"phones": "(11) 98765-4321\n21 99876-5432\n11 90000-0000\nxx"},
    )
    members = set(db.session.scalars(sa.select(ContactListMember.contact_id)))
    assert members == {ana.id, bia.id}
    page = client.get(f"/contacts/lists/{lst.id}").get_data(as_text=True)
    assert "Ana" in page and "Bia" in page
    assert ">2<" in client.get("/contacts/lists").get_data(as_text=True)  # member count
    client.post(f"/contacts/lists/{lst.id}/remove/{ana.id}")
    assert set(db.session.scalars(sa.select(ContactListMember.contact_id))) == {bia.id}
    client.post(f"/contacts/lists/{lst.id}/rename", data={"name": "VIP"})
    db.session.expire_all()
    assert db.session.get(ContactList, lst.id).name == "VIP"
    list_id = lst.id  # read before the delete: the request expires the test's objects
    client.post(f"/contacts/lists/{list_id}/delete")
    assert db.session.get(ContactList, list_id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactListMember)) == 0
    assert "Bia" in client.get("/contacts").get_data(as_text=True)  # contacts stay


def test_list_members_are_keyset_paged(
    client, create_client, create_contact, create_list, login_as
):
    tenant = create_client()
    contacts = [create_contact(tenant, name=f"Membro {i}") for i in range(52)]
    lst = create_list(tenant, contacts=contacts)
    login_as(tenant.admin, tenant)
    html = client.get(f"/contacts/lists/{lst.id}").get_data(as_text=True)
    assert "Membro 51" in html and "Membro 1<" not in html
    assert f"cursor={contacts[2].id}" in html
    second = client.get(f"/contacts/lists/{lst.id}?cursor={contacts[2].id}").get_data(as_text=True)
    assert "Membro 1<" in second and "Membro 0<" in second and "Membro 2<" not in second


def test_opt_out_add_import_remove(client, create_client, create_contact, login_as):
    tenant = create_client()
    contact = create_contact(tenant, "+5511987654321", "Ana")
    login_as(tenant.admin, tenant)
    assert client.post("/contacts/opt-outs", data={"phone": "123"}).status_code == 400
    response = client.post(
        "/contacts/opt-outs", data={"phone": "(11) 98765-4321", "reason": "pediu"}
    )
    assert response.status_code == 302
    assert is_opted_out(tenant.id, contact.phone_e164)
    assert 'data-testid="opted-out-badge"' in client.get(f"/contacts/{contact.id}").get_data(
        as_text=True
    )
    txt = b"21998765432\n(31) 99999-1111\nnada\n11987654321\n"
    response = client.post(
        "/contacts/opt-outs/import",
        data={"file": (io.BytesIO(txt), "numeros.txt")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "2 número(s) descadastrado(s), 1 já estavam, 1 inválido(s)" in html
    phones = set(
        db.session.scalars(sa.select(OptOut.phone_e164).where(OptOut.client_id == tenant.id))
    )
    assert phones == {"+5511987654321", "+5521998765432", "+5531999991111"}
    csv_file = b"Nome;Celular\nX;41 98888-7777\n"
    client.post(
        "/contacts/opt-outs/import",
        data={"file": (io.BytesIO(csv_file), "a.csv")},
        content_type="multipart/form-data",
    )
    assert is_opted_out(tenant.id, "+5541988887777")
    assert "+55 41 98888-7777" in client.get("/contacts/opt-outs?q=4198888").get_data(as_text=True)
    row = db.session.scalar(sa.select(OptOut).where(OptOut.phone_e164 == "+5511987654321"))
    client.post(f"/contacts/opt-outs/{row.id}/remove")
    assert not is_opted_out(tenant.id, "+5511987654321")


def test_opt_out_import_refuses_binaries(client, create_client, login_as):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    response = client.post(
        "/contacts/opt-outs/import",
        data={"file": (io.BytesIO(b"%PDF-1.4 ..."), "numeros.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "PDF" in response.get_data(as_text=True)


def test_opt_out_routes_are_tenant_isolated(client, tenants, login_as):
    from clickpro.services.contacts.optout import add_opt_out

    add_opt_out(tenants.b.id, "+5511987654321")
    theirs = db.session.scalar(sa.select(OptOut))
    # Removing an opt-out is the admin's (docs/roles.md): the admin, who may, gets 404 for
    # B's row; the agent is refused by role. Both see opt-outs, and only their client's.
    login_as(tenants.a.admin, tenants.a)
    assert client.post(f"/contacts/opt-outs/{theirs.id}/remove").status_code == 404
    assert "+5511987654321" not in client.get("/contacts/opt-outs").get_data(as_text=True)
    login_as(tenants.a_user, tenants.a)
    assert client.post(f"/contacts/opt-outs/{theirs.id}/remove").status_code == 403
    assert "+5511987654321" not in client.get("/contacts/opt-outs").get_data(as_text=True)
    assert is_opted_out(tenants.b.id, "+5511987654321")
