"""Contacts, lists, opt-outs and imports over /api/v1 (the same services as the panel)."""

from __future__ import annotations

import io

import sqlalchemy as sa
from api_helpers import assert_error

from clickpro.models import Contact, OptOut
from clickpro.services.contacts import optout


def test_contact_create_upsert_get_patch_delete(app, db, api, tenant):
    created = api.post(
        "/api/v1/contacts",
        json={"phone": "(11) 98765-4321", "name": "Maria", "attributes": {"cidade": "SP"}},
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["phone"] == "+5511987654321" and body["attributes"] == {"cidade": "SP"}
    assert body["opted_out"] is False
    # Same phone in another format: an update, attributes merged, name kept when absent.
    again = api.post("/api/v1/contacts", json={"phone": "+55 11 98765-4321",
                                                "attributes": {"plano": 3}})  # fmt: skip
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"]
    assert again.get_json()["name"] == "Maria"
    assert again.get_json()["attributes"] == {"cidade": "SP", "plano": "3"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1

    url = f"/api/v1/contacts/{body['id']}"
    assert api.get(url).get_json()["name"] == "Maria"
    patched = api.patch(url, json={"name": "Maria Souza"})
    assert patched.status_code == 200 and patched.get_json()["name"] == "Maria Souza"
    assert patched.get_json()["attributes"] == {"cidade": "SP", "plano": "3"}
    assert api.delete(url).get_json() == {"id": body["id"], "deleted": True}
    assert_error(api.get(url), 404, "not_found")


def test_contact_validation_errors_name_the_field(app, api, create_contact, tenant):
    error = assert_error(api.post("/api/v1/contacts", json={"phone": "12"}), 422)
    assert error["code"] == "validation_error" and "phone" in error["details"]
    error = assert_error(api.post("/api/v1/contacts", json={"name": "sem telefone"}), 422)
    assert error["details"]["phone"]
    error = assert_error(api.post("/api/v1/contacts", json={"phone": "+5511987650000",
                                                           "nmae": "typo"}), 422)  # fmt: skip
    assert "nmae" in error["details"]
    other = create_contact(tenant, "+5511987650009")
    mine = create_contact(tenant, "+5511987650008")
    error = assert_error(
        api.patch(f"/api/v1/contacts/{mine.id}", json={"phone": other.phone_e164}), 422
    )
    assert "phone" in error["details"]


def test_contacts_cursor_pagination_and_search(app, api, create_contact, tenant):
    made = [create_contact(tenant, f"+55119876500{i:02d}", name=f"Pessoa {i}") for i in range(5)]
    create_contact(tenant, "+5511912340000", name="João Ávila")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/contacts", query_string=query).get_json()
        seen += [c["id"] for c in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 6 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    found = api.get("/api/v1/contacts", query_string={"q": "joao avila"}).get_json()
    assert [c["name"] for c in found["data"]] == ["João Ávila"]
    by_digits = api.get("/api/v1/contacts", query_string={"q": "987650003"}).get_json()
    assert [c["id"] for c in by_digits["data"]] == [made[3].id]
    assert_error(api.get("/api/v1/contacts?cursor=abc"), 422)
    assert_error(api.get("/api/v1/contacts?limit=0"), 422)


def test_lists_and_members(app, api, create_contact, tenant):
    a = create_contact(tenant, "+5511987651001")
    b = create_contact(tenant, "+5511987651002")
    created = api.post("/api/v1/lists", json={"name": "VIP"})
    assert created.status_code == 201
    list_id = created.get_json()["id"]
    assert_error(api.post("/api/v1/lists", json={"name": "VIP"}), 422)
    added = api.post(f"/api/v1/lists/{list_id}/contacts",
                     json={"contact_ids": [a.id], "phones": ["11987651002", "11900000000"]})  # fmt: skip
    assert added.get_json() == {"list_id": list_id, "added": 2, "removed": 0,
                                "not_found": ["11900000000"]}  # fmt: skip
    assert api.get(f"/api/v1/lists/{list_id}").get_json()["contacts_count"] == 2
    members = api.get(f"/api/v1/lists/{list_id}/contacts").get_json()
    assert {c["id"] for c in members["data"]} == {a.id, b.id}
    removed = api.delete(f"/api/v1/lists/{list_id}/contacts", json={"contact_ids": [a.id]})
    assert removed.get_json()["removed"] == 1
    assert api.patch(f"/api/v1/lists/{list_id}", json={"name": "Ouro"}).get_json()["name"] == "Ouro"
    assert [x["name"] for x in api.get("/api/v1/lists").get_json()["data"]] == ["Ouro"]
    assert api.delete(f"/api/v1/lists/{list_id}").status_code == 200
    assert_error(api.get(f"/api/v1/lists/{list_id}"), 404)


def test_optouts_add_list_delete(app, db, api, tenant):
    first = api.post("/api/v1/optouts", json={"phone": "11 98765-0000", "reason": "pediu"})
    assert first.status_code == 201
    assert first.get_json()["phone"] == "+5511987650000"
    assert first.get_json()["source"] == "api"
    assert api.post("/api/v1/optouts", json={"phone": "+5511987650000"}).status_code == 200
    assert optout.is_opted_out(tenant.id, "+5511987650000")
    listed = api.get("/api/v1/optouts").get_json()
    assert [o["phone"] for o in listed["data"]] == ["+5511987650000"]
    assert api.delete("/api/v1/optouts/+5511987650000").status_code == 200
    assert not optout.is_opted_out(tenant.id, "+5511987650000")
    assert_error(api.delete("/api/v1/optouts/+5511987650000"), 404)
    assert_error(api.post("/api/v1/optouts", json={"phone": "abc"}), 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OptOut)) == 0


def test_import_by_api_runs_the_import_service(app, api, tenant):
    csv = "telefone;nome;cidade\n11987652001;Ana;SP\n11987652002;Bia;RJ\n11987652001;Ana;SP\n123;x;y\n"
    response = api.post(
        "/api/v1/imports",
        data={"file": (io.BytesIO(csv.encode()), "clientes.csv"), "list_name": "Importados"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    imp = response.get_json()
    got = api.get(f"/api/v1/imports/{imp['id']}").get_json()
    assert got["status"] == "done"
    # line 4 repeats line 2's number: a merged duplicate (not "already in the list")
    assert (got["rows"], got["imported"], got["duplicates"], got["rejected"]) == (4, 2, 0, 1)
    assert got["merged"] == 1
    lst = api.get(f"/api/v1/lists/{got['list_id']}").get_json()
    assert lst["name"] == "Importados" and lst["contacts_count"] == 2
    report = api.get(f"/api/v1/imports/{imp['id']}/rejected.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    text = report.get_data(as_text=True)
    assert "123" in text and text.count("\r\n") == 3  # header, merged line 4, rejected line 5
    bad = api.post("/api/v1/imports", data={"file": (io.BytesIO(b"\x00\x01garbage"), "x.bin")},
                   content_type="multipart/form-data")  # fmt: skip
    assert_error(bad, 422)
    assert_error(api.post("/api/v1/imports", json={}), 415)


def test_import_by_api_keeps_existing_contacts_unless_asked(app, api, tenant):
    from clickpro.services.contacts.service import create_contact

    create_contact(tenant.id, "11987652001", "Ana", {"cidade": "SP"})
    csv = "telefone;nome;cidade\n11987652001;Ana Souza;RJ\n"

    def upload(**fields):
        data = {"file": (io.BytesIO(csv.encode()), "c.csv"), "list_name": "L", **fields}
        response = api.post("/api/v1/imports", data=data, content_type="multipart/form-data")
        assert response.status_code == 202, response.get_json()

    def ana() -> Contact:
        from clickpro.extensions import db

        db.session.expire_all()
        return db.session.scalar(sa.select(Contact).where(Contact.client_id == tenant.id))

    upload()
    assert (ana().name, ana().attributes) == ("Ana", {"cidade": "SP"})
    upload(update_existing="true")
    assert (ana().name, ana().attributes) == ("Ana Souza", {"cidade": "RJ"})


def test_import_idempotency_key_looks_at_the_file(app, api):
    def upload(csv: str):
        return api.post(
            "/api/v1/imports",
            data={"file": (io.BytesIO(csv.encode()), "c.csv"), "list_name": "L"},
            content_type="multipart/form-data",
            headers={"Idempotency-Key": "planilha-1"},
        )

    first = upload("telefone\n11987653001\n")
    again = upload("telefone\n11987653001\n")
    assert first.status_code == again.status_code == 202
    assert first.get_json()["id"] == again.get_json()["id"]
    assert_error(upload("telefone\n11987653002\n"), 422, "idempotency_key_reused")
