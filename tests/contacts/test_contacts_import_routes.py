"""The import flow over HTTP: upload → mapping → start → progress JSON → summary → report."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from contacts_helpers import kill_writer_on_batch

from clickpro.extensions import db
from clickpro.models import Contact, ContactImport


def _upload(client, data: bytes, filename="contatos.csv", **fields):
    payload = {"file": (io.BytesIO(data), filename), "list_id": "", "list_name": "", "sheet": ""}
    payload.update(fields)
    return client.post("/contacts/imports/new", data=payload, content_type="multipart/form-data")


EXCEL_BR = "Nome;Telefone;Cidade\r\nJoão;(11) 98765-4321;São Paulo\r\nInválido;12;Rio\r\nAna;+55 21 99876-5432;\r\n".encode(
    "cp1252"
)


def test_upload_map_start_progress_summary_and_report(client, create_client, login_as):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    response = _upload(client, EXCEL_BR, list_name="Feira 2026")
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    page = client.get(mapping_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "São Paulo" in html and "Coluna do telefone" in html
    imp = db.session.scalar(sa.select(ContactImport))
    assert imp.kind == "csv" and imp.status == "queued"
    response = client.post(
        mapping_url,
        data={"phone": "1", "name": "0", "use_2": "1", "attr_2": "Cidade", "mobile_only": "1"},
    )
    assert response.status_code == 302
    detail_url = response.headers["Location"]
    assert client.get(detail_url).status_code == 200
    progress = client.get(f"/contacts/imports/{imp.id}/progress.json").get_json()
    assert progress["status"] == "done" and progress["percent"] == 100
    assert (progress["rows"], progress["imported"], progress["rejected"]) == (3, 2, 1)
    summary = client.get(detail_url).get_data(as_text=True)
    assert (
        "Importação concluída" in summary and f"/contacts/imports/{imp.id}/rejected.csv" in summary
    )
    report = client.get(f"/contacts/imports/{imp.id}/rejected.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert "attachment" in report.headers["Content-Disposition"]
    body = report.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["linha", "Nome", "Telefone", "Cidade", "motivo"]
    assert rows[1][:4] == ["3", "Inválido", "12", "Rio"] and rows[1][4]
    joao = db.session.scalar(sa.select(Contact).where(Contact.phone_e164 == "+5511987654321"))
    assert joao.name == "João" and joao.attributes == {"cidade": "São Paulo"}
    assert "Feira 2026" in client.get("/contacts/lists").get_data(as_text=True)


def test_upload_of_executable_is_a_clear_error(client, create_client, login_as):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    response = _upload(client, b"MZ\x90\x00" + b"\x00" * 100, filename="contatos.csv")
    assert response.status_code == 400
    assert "executável" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactImport)) == 0


def test_oversize_upload_is_a_clear_error(client, create_client, login_as, app):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    app.config["IMPORT_MAX_BYTES"] = 50
    response = _upload(client, EXCEL_BR)
    assert response.status_code == 400
    assert "limite" in response.get_data(as_text=True)


def test_mapping_without_phone_is_refused(client, create_client, login_as):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    mapping_url = _upload(client, EXCEL_BR).headers["Location"]
    response = client.post(mapping_url, data={"phone": "", "name": "0"})
    assert response.status_code == 400
    assert "Escolha a coluna do telefone" in response.get_data(as_text=True)


def test_imports_of_another_client_are_404(client, tenants, login_as):
    # Admins (agents import only when their admin allows it: tests/foundation/test_role_matrix)
    login_as(tenants.a.admin, tenants.a)
    _upload(client, EXCEL_BR)
    imp = db.session.scalar(sa.select(ContactImport))
    assert client.get(f"/contacts/imports/{imp.id}/mapping").status_code == 200
    login_as(tenants.b.admin, tenants.b)
    for url in (
        f"/contacts/imports/{imp.id}",
        f"/contacts/imports/{imp.id}/mapping",
        f"/contacts/imports/{imp.id}/progress.json",
        f"/contacts/imports/{imp.id}/rejected.csv",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/contacts/imports/{imp.id}/mapping", data={"phone": "1"}).status_code == 404
    )
    assert client.post(f"/contacts/imports/{imp.id}/resume").status_code == 404
    assert client.post(f"/contacts/imports/{imp.id}/sheet", data={"sheet": "x"}).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get("/contacts/imports/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_failed_import_is_resumed_from_the_page(client, create_client, login_as, monkeypatch, app):
    import pytest

    from clickpro.services.contacts.imports import service

    tenant = create_client()
    login_as(tenant.admin, tenant)
    app.config["IMPORT_BATCH_SIZE"] = 2
    mapping_url = _upload(client, EXCEL_BR).headers["Location"]
    imp = db.session.scalar(sa.select(ContactImport))
    kill_writer_on_batch(monkeypatch, 2)
    client.post(mapping_url, data={"phone": "1", "name": "0"})  # the job fails inside RQ
    progress = client.get(f"/contacts/imports/{imp.id}/progress.json").get_json()
    assert progress["status"] == "failed" and progress["rows"] == 2 and progress["error"]
    assert "Retomar importação" in client.get(f"/contacts/imports/{imp.id}").get_data(as_text=True)
    client.post(f"/contacts/imports/{imp.id}/resume")
    progress = client.get(f"/contacts/imports/{imp.id}/progress.json").get_json()
    assert (progress["status"], progress["rows"], progress["imported"], progress["rejected"]) == (
        "done",
        3,
        2,
        1,
    )
    with pytest.raises(service.ContactImportError):
        service.resume_import(imp.id)  # nothing to resume any more


def test_xlsx_sheet_switch_and_history_page(client, create_client, login_as, tmp_path):
    import openpyxl

    tenant = create_client()
    login_as(tenant.admin, tenant)
    wb = openpyxl.Workbook()
    wb.active.title = "Capa"
    wb.active.append(["Relatório de clientes"])
    ws = wb.create_sheet("Clientes")
    ws.append(["Nome", "Celular"])
    ws.append(["Ana", 5.511987654321e12])
    path = tmp_path / "planilha.bin"  # the type comes from the content, not the name
    wb.save(path)
    assert client.get("/contacts/imports/new").status_code == 200
    mapping_url = _upload(client, path.read_bytes(), filename="planilha.bin").headers["Location"]
    html = client.get(mapping_url).get_data(as_text=True)
    assert "Relatório de clientes" in html and "Trocar aba" in html
    imp = db.session.scalar(sa.select(ContactImport))
    client.post(f"/contacts/imports/{imp.id}/sheet", data={"sheet": "Clientes"})
    html = client.get(mapping_url).get_data(as_text=True)
    assert "Celular" in html and "5511987654321" in html
    client.post(mapping_url, data={"phone": "1", "name": "0"})
    history = client.get("/contacts/imports").get_data(as_text=True)
    assert "planilha.bin" in history and 'data-status="done"' in history
    assert db.session.scalar(sa.select(Contact.name)) == "Ana"
