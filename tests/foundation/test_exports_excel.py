"""CSV exports open right in Excel pt-BR: read as bytes, as Excel would.

UTF-8 BOM first, ``;`` between cells, CRLF line ends, moments in the client's zone as
dd/mm/aaaa HH:MM, statuses and Meta errors translated (Meta's English only as a detail),
formula-looking cells neutralized (clickpro.csv_safe).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from clickpro.csv_safe import BOM, ExcelCsv
from clickpro.extensions import db
from clickpro.models import Campaign, ContactImport, ContactImportRejection, Message

SENT = datetime(2026, 3, 10, 15, 4, tzinfo=UTC)  # 12:04 in São Paulo, 11:04 in Manaus


def parse(body: bytes) -> list[list[str]]:
    assert body.startswith(BOM.encode("utf-8")), "no UTF-8 BOM: Excel reads São as SÃ£o"
    text = body.decode("utf-8")[1:]
    lines = text.split("\r\n")
    assert lines[-1] == "" and all("\n" not in line for line in lines[:-1])  # CRLF only
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.fixture
def campaign_results(create_client, create_contact, create_template, login_as):
    tenant = create_client("Loja Manaus", timezone="America/Manaus")
    template = create_template(tenant)
    campaign = Campaign(client_id=tenant.id, name="Verão", template_id=template.id,
                        status="COMPLETED")  # fmt: skip
    db.session.add(campaign)
    db.session.flush()
    rows = [
        ("+5511955550001", "José Conceição", dict(status="READ", wamid="wamid.A", sent_at=SENT,
                                                 delivered_at=SENT, read_at=SENT)),
        ("+5511955550002", "=HYPERLINK(\"http://x\")", dict(status="FAILED", error_code=131049,
            error_title="This message was not delivered to maintain healthy ecosystem engagement.",
            failed_at=SENT)),
        ("+5511955550003", "Ana", dict(status="UNKNOWN")),
    ]  # fmt: skip
    for phone, name, fields in rows:
        contact = create_contact(tenant, phone=phone, name=name)
        db.session.add(Message(client_id=tenant.id, contact_id=contact.id, campaign_id=campaign.id,
                               direction="OUT", author="CAMPAIGN", **fields))  # fmt: skip
    db.session.commit()
    return tenant, campaign.id, login_as(tenant.admin, tenant)


def test_campaign_export_is_excel_pt_br(campaign_results):
    _tenant, campaign_id, web = campaign_results
    response = web.get(f"/campaigns/{campaign_id}/export.csv")
    assert response.status_code == 200 and "charset=utf-8" in response.content_type
    rows = parse(response.get_data())
    header, read, failed, unknown = rows
    assert header[:3] == ["Telefone", "Nome", "Situação"]
    assert header[-2:] == ["BSUID", "Nome de usuário"]  # a username-only recipient's ids
    assert "Enviada em" in header and "O que fazer" in header
    col = {name: i for i, name in enumerate(header)}
    assert read[col["Nome"]] == "José Conceição"
    assert read[col["Situação"]] == "Lida"
    assert read[col["Enviada em"]] == "10/03/2026 11:04"  # Manaus, not UTC 15:04
    assert (
        failed[col["Situação"]] == "Falhou" and unknown[col["Situação"]] == "Situação desconhecida"
    )
    assert failed[col["Código do erro"]] == "131049"
    assert failed[col["Erro"]].startswith("A Meta limitou")  # pt_BR first
    assert "24 horas" in failed[col["O que fazer"]]
    assert failed[col["Detalhe da Meta"]].startswith("This message was not delivered")
    assert failed[col["Nome"]] == '\'=HYPERLINK("http://x")'  # never a live formula
    assert failed[col["Falhou em"]] == "10/03/2026 11:04"
    assert read[col["Telefone"]] == "+5511955550001"  # a plain number stays re-importable


def test_campaign_export_of_another_client_is_404(campaign_results, create_client, login_as):
    _tenant, campaign_id, _web = campaign_results
    other = create_client("Outra")
    assert (
        login_as(other.admin, other).get(f"/campaigns/{campaign_id}/export.csv").status_code == 404
    )


def test_import_rejections_export_is_excel_pt_br(create_client, login_as):
    tenant = create_client("Loja Import")
    imp = ContactImport(client_id=tenant.id, filename="base.csv", status="done",
                        mapping={"header": ["telefone", "nome"]})  # fmt: skip
    db.session.add(imp)
    db.session.flush()
    db.session.add(ContactImportRejection(import_id=imp.id, line_number=3,
                                          raw=["123", "@SUM(1)"], reason="Número inválido"))  # fmt: skip
    db.session.commit()
    web = login_as(tenant.admin, tenant)
    rows = parse(web.get(f"/contacts/imports/{imp.id}/rejected.csv").get_data())
    assert rows[1] == ["3", "123", "'@SUM(1)", "Número inválido"]


def test_excel_csv_cells():
    from zoneinfo import ZoneInfo

    sheet = ExcelCsv(ZoneInfo("America/Sao_Paulo"))
    naive_utc = datetime(2026, 1, 2, 3, 4)  # read as UTC, as the database stores it
    line = sheet.header(["a;b", None, naive_utc, "+5511955550001", "-1+2", 3])
    assert line == '\ufeff"a;b";;02/01/2026 00:04;+5511955550001;\'-1+2;3\r\n'


def test_audit_log_export_is_excel_pt_br(create_client, login_as):
    from clickpro.services import audit

    tenant = create_client("Loja Auditoria")
    audit.record("contacts.deleted", ("contacts", 7), client_id=tenant.id, actor=tenant.admin)
    rows = parse(login_as(tenant.admin, tenant).get("/audit/export.csv").get_data())
    assert rows[0][0] == "id" and any(r[7] == "contacts:7" for r in rows[1:])


def test_contacts_export_is_excel_pt_br(create_client, create_contact, create_member, login_as):
    from clickpro.models import OptOut, Role

    tenant = create_client("Loja Contatos", timezone="America/Manaus")
    create_contact(tenant, phone="+5511955550001", name="Tênis Clube", last_message_at=SENT,
                   attributes={"cidade": "São Paulo", "plano": "ouro"})  # fmt: skip
    create_contact(tenant, phone="+5511955550002", name="@SUM(1)", attributes={"cidade": "Rio"})
    create_contact(tenant, phone="+5511955550003", name="Outro nome")
    db.session.add(OptOut(client_id=tenant.id, phone_e164="+5511955550002", source="manual"))
    db.session.commit()
    create_contact(create_client("Outra"), phone="+5511955550001", name="Tênis de outra loja")
    web = login_as(tenant.admin, tenant)
    rows = parse(web.get("/contacts/export.csv?q=tenis").get_data())  # the page's filters
    assert rows[0] == ["Telefone", "BSUID", "Nome de usuário", "Nome", "Descadastrado",
                       "Última mensagem", "Criado em", "cidade", "plano"]  # fmt: skip
    assert len(rows) == 2
    assert rows[1][:6] == ["+5511955550001", "", "", "Tênis Clube", "Não", "10/03/2026 11:04"]
    assert rows[1][7:] == ["São Paulo", "ouro"]
    everyone = parse(web.get("/contacts/export.csv").get_data())
    assert len(everyone) == 4 and "outra loja" not in str(everyone)
    formula = next(r for r in everyone if r[0] == "+5511955550002")
    assert formula[3] == "'@SUM(1)" and formula[4] == "Sim"
    agent = create_member(tenant, Role.CLIENT_USER)
    assert login_as(agent, tenant).get("/contacts/export.csv").status_code == 403
