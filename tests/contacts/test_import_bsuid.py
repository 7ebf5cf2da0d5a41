"""Imports with a BSUID column: rows by phone, by BSUID or both; rejections say why."""

from __future__ import annotations

import sqlalchemy as sa
from contacts_helpers import rejected_report

from clickpro.extensions import db
from clickpro.models import Contact
from clickpro.services.contacts.imports import service
from clickpro.services.contacts.imports.mapping import guess_mapping, parse_mapping
from clickpro.services.contacts.imports.service import ContactImportError

B1, B2, B3 = "BR.1502576394655843", "BR.ENT.11815799212886844830", "US.13491208655302741918"


def _contacts(tenant) -> list[Contact]:
    return list(
        db.session.scalars(
            sa.select(Contact).where(Contact.client_id == tenant.id).order_by(Contact.id)
        )
    )


def test_bsuid_column_guessed_and_rows_by_phone_bsuid_or_both(create_client, write_csv, run_file):
    tenant = create_client()
    path = write_csv([
        ["Nome", "Telefone", "BSUID", "Cidade"],
        ["Ana", "(11) 98765-4321", "", "SP"],          # phone only
        ["Bia", "", B1, "Rio"],                          # BSUID only (username user)
        ["Caio", "21 99876-5432", B2, ""],               # both: linked
        ["Dani", "", "", "BH"],                          # neither: rejected
        ["Eva", "", "not-a-bsuid", ""],                  # invalid BSUID: rejected
        ["Bia de novo", "", B1, "Niterói"],              # same BSUID: merged duplicate
        ["Fábio", "", B3, ""],
    ])  # fmt: skip
    imp = run_file(tenant, path)
    assert imp.mapping["bsuid"] == 2 and imp.mapping["phone"] == 1
    assert (imp.status, imp.rows, imp.imported, imp.rejected, imp.merged) == ("done", 7, 4, 2, 1)
    by_name = {c.name: c for c in _contacts(tenant)}
    assert by_name["Ana"].phone_e164 == "+5511987654321" and by_name["Ana"].bsuid is None
    assert by_name["Bia"].phone_e164 is None and by_name["Bia"].bsuid == B1
    assert by_name["Bia"].attributes == {"cidade": "Rio"}  # the first row of the BSUID wins
    assert by_name["Caio"].phone_e164 == "+5521998765432" and by_name["Caio"].bsuid == B2
    assert by_name["Fábio"].bsuid == B3
    assert "Dani" not in by_name and "Eva" not in by_name
    report = rejected_report(imp.id)
    reasons = " | ".join(";".join(r) for r in report[1:])
    assert "Sem telefone nem BSUID" in reasons
    assert "BSUID inválido" in reasons
    assert "mesmo BSUID da linha 3" in reasons


def test_reimport_by_bsuid_updates_the_same_contact(create_client, write_csv, run_file):
    tenant = create_client()
    first = write_csv([["bsuid", "nome"], [B1, ""]], name="a.csv")
    run_file(tenant, first)
    second = write_csv([["bsuid", "nome"], [B1, "Sheena"]], name="b.csv")
    imp = run_file(tenant, second)
    contacts = _contacts(tenant)
    assert len(contacts) == 1 and contacts[0].name == "Sheena"  # the empty name was filled
    assert (imp.imported, imp.updated) == (0, 1)


def test_a_phone_row_never_steals_a_bsuid_held_by_another_contact(
    create_client, create_contact, write_csv, run_file
):
    tenant = create_client()
    holder = Contact(client_id=tenant.id, phone_e164=None, bsuid=B1, name="Dono")
    db.session.add(holder)
    db.session.commit()
    path = write_csv([["telefone", "bsuid"], ["11987654321", B1]])
    imp = run_file(tenant, path)
    assert imp.status == "done" and imp.imported == 1
    phone_contact = db.session.scalar(
        sa.select(Contact).where(Contact.phone_e164 == "+5511987654321")
    )
    assert phone_contact.bsuid is None  # no merge by import; the BSUID stays with its holder
    db.session.refresh(holder)
    assert holder.bsuid == B1


def test_mapping_needs_a_phone_or_bsuid_column(create_client, write_csv):
    assert guess_mapping(["Nome", "User ID", "Celular"])["bsuid"] == 1
    assert guess_mapping(["id", "Celular"])["bsuid"] is None  # a bare "id" is not a BSUID
    assert parse_mapping({"bsuid": 0, "name": 1}, 2).phone is None
    tenant = create_client()
    path = write_csv([["nome", "obs"], ["Ana", "x"]])
    imp = service.create_import(tenant.id, tenant.admin.id, stream_or_path=path,
                                filename=path.name)  # fmt: skip
    try:
        service.set_mapping(imp.id, {"name": 0}, {})
    except ContactImportError as exc:
        assert "telefone" in str(exc) and "BSUID" in str(exc)
    else:
        raise AssertionError("a mapping with neither phone nor BSUID must be refused")
