"""Contact imports through the service: formats, validation, de-duplication, resume."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from contacts_helpers import kill_writer_on_batch, rejected_report

from clickpro.extensions import db
from clickpro.models import Client, Contact, ContactImport, ContactListMember
from clickpro.services.contacts.imports import service
from clickpro.services.contacts.imports.service import ContactImportError


def _count(model, **where):
    stmt = sa.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


def test_excel_br_csv_cp1252_semicolon_accents(create_client, write_csv, run_file, contacts_of):
    tenant = create_client()
    path = write_csv(
        [
            ["Nome", "Telefone", "Cidade", "Plano Atual"],
            ["João Conceição", "(11) 98765-4321", "São Paulo", "Pró"],
            ["Inês Araújo", "+55 21 99876-5432", "Niterói", ""],
        ],
        encoding="cp1252",
    )
    imp = run_file(tenant, path)
    assert (imp.status, imp.rows, imp.imported, imp.rejected) == ("done", 2, 2, 0)
    contacts = contacts_of(tenant)
    joao = contacts["+5511987654321"]
    assert joao.name == "João Conceição"
    assert joao.attributes == {"cidade": "São Paulo", "plano_atual": "Pró"}
    assert contacts["+5521998765432"].attributes == {"cidade": "Niterói"}  # empty cell: no key


def test_utf8_bom_and_tab_separated(create_client, write_csv, run_file, contacts_of):
    tenant = create_client()
    bom = write_csv([["telefone", "nome"], ["11987654321", "Zé"]], name="a.csv", bom=True)
    tabs = write_csv(
        [["Celular", "Cliente", "Obs"], ["21 98888-7777", "Ana", "x"]], name="b.csv", delimiter="\t"
    )
    first = run_file(tenant, bom)
    assert first.mapping["header"] == ["telefone", "nome"]  # no BOM glued to the first header
    second = run_file(tenant, tabs)
    assert first.imported == 1 and second.imported == 1
    contacts = contacts_of(tenant)
    assert contacts["+5511987654321"].name == "Zé"
    assert contacts["+5521988887777"].attributes == {"obs": "x"}


def test_quoted_fields_with_newlines_keep_line_numbers(
    create_client, write_csv, run_file, contacts_of
):
    tenant = create_client()
    path = write_csv(
        [
            ["nome", "telefone", "endereco"],
            ["Ana", "11987654321", "Rua A, 1\nApto 2"],
            ["Bia", "inválido", "Rua B"],
        ]
    )
    imp = run_file(tenant, path)
    assert contacts_of(tenant)["+5511987654321"].attributes["endereco"] == "Rua A, 1\nApto 2"
    report = rejected_report(imp.id)
    assert report[0] == ["linha", "nome", "telefone", "endereco", "motivo"]
    assert report[1][:4] == ["4", "Bia", "inválido", "Rua B"]  # record 2 spans lines 2-3


def test_xlsx_numbers_as_float_and_text_are_one_contact(
    create_client, write_xlsx, run_file, contacts_of
):
    tenant = create_client()
    path = write_xlsx(
        [
            ["Nome", "WhatsApp"],
            ["Float", 5.511987654321e12],
            ["Texto", "5511987654321"],
            ["Outro", 11977776666.0],
        ]
    )
    imp = run_file(tenant, path)
    assert imp.kind == "xlsx" and imp.sheet == "Contatos"
    assert (imp.rows, imp.imported, imp.duplicates, imp.rejected, imp.merged) == (3, 2, 0, 0, 1)
    contacts = contacts_of(tenant)
    assert set(contacts) == {"+5511987654321", "+5511977776666"}
    assert contacts["+5511987654321"].name == "Float"  # the first row of a number wins


def test_xlsx_chosen_sheet(create_client, write_xlsx, run_file, contacts_of):
    tenant = create_client()
    path = write_xlsx([["x"]], sheets={"Clientes": [["fone", "nome"], ["11987654321", "Ana"]]})
    imp = run_file(tenant, path, sheet="Clientes")
    assert imp.sheet == "Clientes" and imp.imported == 1
    with pytest.raises(ContactImportError, match="não encontrada"):
        service.create_import(tenant.id, None, stream_or_path=path, filename="a.xlsx", sheet="Nope")


def test_empty_file_is_refused(create_client, tmp_path, app):
    tenant = create_client()
    path = tmp_path / "vazio.csv"
    path.write_bytes(b"")
    with pytest.raises(ContactImportError, match="vazio"):
        service.create_import(tenant.id, None, stream_or_path=path, filename="vazio.csv")
    assert _count(ContactImport) == 0
    assert not any((service.upload_dir(tenant.id)).iterdir())  # the upload was removed


def test_header_only_imports_nothing(create_client, write_csv, run_file):
    tenant = create_client()
    imp = run_file(tenant, write_csv([["nome", "telefone"]]))
    assert (imp.status, imp.rows, imp.imported) == ("done", 0, 0)


def test_twenty_columns(create_client, write_csv, run_file, contacts_of):
    tenant = create_client()
    header = ["Telefone", "Nome"] + [f"Campo {i}" for i in range(3, 21)]
    row = ["11987654321", "Ana"] + [f"v{i}" for i in range(3, 21)]
    imp = run_file(tenant, write_csv([header, row]))
    attributes = contacts_of(tenant)["+5511987654321"].attributes
    assert len(header) == 20 and imp.imported == 1
    assert len(attributes) == 18 and attributes["campo_20"] == "v20"


def test_same_phone_in_three_formats_is_one_contact(
    create_client, write_csv, run_file, contacts_of
):
    tenant = create_client()
    path = write_csv(
        [
            ["nome", "telefone", "cidade"],
            ["Ana", "(11) 98765-4321", "SP"],
            ["", "+55 11 98765-4321", ""],
            ["Ana Maria", "11 8765-4321", ""],  # without the 9th digit
        ]
    )
    imp = run_file(tenant, path)
    assert (imp.imported, imp.duplicates, imp.rejected, imp.merged) == (1, 0, 0, 2)
    contact = contacts_of(tenant)["+5511987654321"]
    assert contact.name == "Ana" and contact.attributes == {"cidade": "SP"}  # line 2 kept


@pytest.mark.parametrize(
    "raw",
    ["(11) 98765-4321", "11987654321", "+55 11 98765-4321", "055 11 98765-4321", "11 8765-4321"],
)
def test_phone_shapes_normalise_to_e164(create_client, write_csv, run_file, contacts_of, raw):
    tenant = create_client()
    run_file(tenant, write_csv([["telefone"], [raw]]))
    assert list(contacts_of(tenant)) == ["+5511987654321"]


def test_every_rejected_row_is_reported_with_reason(create_client, write_csv, run_file):
    tenant = create_client()
    rows = [["nome", "telefone"], ["A", ""], ["B", "123"], ["C", "11 3333-4444"], ["D", "abc"]]
    rows.append(["E", "11987654321"])
    imp = run_file(tenant, write_csv(rows), mobile_only=True)
    assert (imp.rows, imp.imported, imp.rejected) == (5, 1, 4)
    report = rejected_report(imp.id)
    by_line = {r[0]: r for r in report[1:]}
    assert set(by_line) == {"2", "3", "4", "5"}
    assert by_line["2"][3] == "Telefone vazio"
    assert "curto" in by_line["3"][3]
    assert "fixo" in by_line["4"][3]  # landline refused when "only mobiles" is ticked
    assert by_line["5"][1:3] == ["D", "abc"]


def test_landline_accepted_without_mobile_only(create_client, write_csv, run_file, contacts_of):
    tenant = create_client()
    imp = run_file(tenant, write_csv([["telefone"], ["11 3333-4444"]]))
    assert imp.imported == 1 and "+551133334444" in contacts_of(tenant)


def _numbers(n, start=0):
    return [[f"Pessoa {i}", f"119{70000000 + i:08d}"] for i in range(start, start + n)]


def test_interrupted_import_resumes_without_duplicates(
    create_client, write_csv, run_file, monkeypatch
):
    tenant = create_client()
    rows = [["nome", "telefone"], *_numbers(23)]
    rows[5][1] = "bad"  # one rejection in the first batch
    rows.append(["Repete", rows[20][1]])  # a repeat in a later batch
    path = write_csv(rows)
    kill_writer_on_batch(monkeypatch, 3)
    imp = service.create_import(tenant.id, None, stream_or_path=path, filename="a.csv")
    _, _, _, suggested = service.preview_import(imp.id)
    service.set_mapping(imp.id, suggested)
    with pytest.raises(RuntimeError):
        service.run_import(imp.id, batch_size=5)
    db.session.expire_all()
    half = db.session.get(ContactImport, imp.id)
    assert half.status == "failed" and half.checkpoint_row == 11 and half.rows == 10
    assert _count(Contact, client_id=tenant.id) == 9
    service.run_import(imp.id, batch_size=5)  # the re-run (writer works again: call 4+)
    db.session.expire_all()
    done = db.session.get(ContactImport, imp.id)
    assert (done.status, done.rows, done.imported, done.merged, done.rejected) == (
        "done",
        24,
        22,
        1,
        1,
    )
    assert _count(Contact, client_id=tenant.id) == 22
    assert _count(ContactListMember, list_id=done.list_id) == 22
    assert len(rejected_report(done.id)) == 3  # header, the rejected row, the merged one


def test_reimport_with_update_existing_updates_names_and_merges_attributes(
    create_client, write_csv, run_file, contacts_of
):
    tenant = create_client()
    first = write_csv(
        [
            ["telefone", "nome", "cidade", "plano"],
            ["11987654321", "Ana", "SP", "básico"],
            ["11977776666", "Bia", "RJ", ""],
        ],
        name="1.csv",
    )
    run_file(tenant, first)
    second = write_csv(
        [
            ["telefone", "nome", "plano", "time"],
            ["11987654321", "Ana Souza", "pró", "Azul"],
            ["11977776666", "", "", "Verde"],
        ],
        name="2.csv",
    )
    imp = run_file(tenant, second, update_existing=True)
    assert (imp.imported, imp.updated, imp.duplicates) == (0, 2, 0)
    contacts = contacts_of(tenant)
    assert len(contacts) == 2
    ana, bia = contacts["+5511987654321"], contacts["+5511977776666"]
    assert ana.name == "Ana Souza"
    assert ana.attributes == {"cidade": "SP", "plano": "pró", "time": "Azul"}
    assert bia.name == "Bia"  # an empty cell never blanks a name
    assert bia.attributes == {"cidade": "RJ", "time": "Verde"}


def test_reimport_into_same_list_counts_duplicates(create_client, write_csv, run_file):
    tenant = create_client()
    path = write_csv([["telefone"], ["11987654321"]])
    first = run_file(tenant, path)
    again = run_file(tenant, path, list_id=first.list_id)
    assert (again.imported, again.updated, again.duplicates) == (0, 0, 1)


def test_executable_renamed_csv_is_refused(create_client, tmp_path):
    tenant = create_client()
    path = tmp_path / "contatos.csv"
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
    with pytest.raises(ContactImportError, match="executável"):
        service.create_import(tenant.id, None, stream_or_path=path, filename="contatos.csv")
    assert _count(ContactImport) == 0 and _count(Contact) == 0


def test_oversize_file_is_refused(create_client, write_csv, app):
    tenant = create_client()
    app.config["IMPORT_MAX_BYTES"] = 100
    path = write_csv([["telefone"], *[["11987654321"]] * 20])
    with pytest.raises(ContactImportError, match="limite"):
        service.create_import(tenant.id, None, stream_or_path=path, filename="a.csv")
    assert _count(ContactImport) == 0
    assert not any(service.upload_dir(tenant.id).iterdir())


def test_mapping_guess_and_memory_per_client(create_client, write_csv, app):
    tenant = create_client()
    first = write_csv(
        [["Código", "Nome completo", "Celular", "Cidade"], ["1", "Ana", "11987654321", "SP"]],
        name="1.csv",
    )
    imp = service.create_import(tenant.id, None, stream_or_path=first, filename="1.csv")
    header, rows, sheets, guess = service.preview_import(imp.id)
    assert (guess["phone"], guess["name"]) == (2, 1)
    assert guess["attributes"] == {"0": "codigo", "3": "cidade"}
    service.set_mapping(
        imp.id, {"phone": 2, "name": 1, "attributes": {"3": "Município"}}, {"mobile_only": True}
    )
    db.session.expire_all()
    assert db.session.get(Client, tenant.id).settings["import_mapping"]["phone"] == "celular"
    second = write_csv(
        [["cidade", "celular", "nome completo"], ["RJ", "21988887777", "Bia"]], name="2.csv"
    )
    imp2 = service.create_import(tenant.id, None, stream_or_path=second, filename="2.csv")
    _, _, _, remembered = service.preview_import(imp2.id)
    assert remembered["remembered"] is True and remembered["mobile_only"] is True
    assert (remembered["phone"], remembered["name"], remembered["attributes"]) == (
        1,
        2,
        {"0": "municipio"},
    )


def test_bad_mapping_is_a_clear_error(create_client, write_csv):
    tenant = create_client()
    imp = service.create_import(
        tenant.id, None, stream_or_path=write_csv([["a", "b"], ["1", "2"]]), filename="a.csv"
    )
    with pytest.raises(ContactImportError, match="telefone"):
        service.set_mapping(imp.id, {"phone": None})
    with pytest.raises(ContactImportError, match="inexistente"):
        service.set_mapping(imp.id, {"phone": 7})
    with pytest.raises(ContactImportError, match="mapeamento"):
        service.start_import(imp.id)


def test_list_by_name_is_created_or_reused(create_client, create_list, write_csv, run_file):
    tenant = create_client()
    existing = create_list(tenant, "Clientes VIP")
    imp = run_file(tenant, write_csv([["telefone"], ["11987654321"]]), list_name="Clientes VIP")
    assert imp.list_id == existing.id
    other = run_file(tenant, write_csv([["telefone"], ["11987654322"]], name="b.csv"))
    assert other.list_id not in (None, existing.id)
