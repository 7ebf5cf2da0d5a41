"""Imports refuse what is not a spreadsheet before creating anything, clean up uploads
abandoned at the mapping step, and turn xlsx dates into Brazilian dates."""

from __future__ import annotations

import datetime as dt
import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Campaign, ContactImport, ContactList
from clickpro.models.base import utcnow
from clickpro.services.contacts.imports import service, uploads
from clickpro.services.contacts.imports.errors import ContactImportError


def _counts() -> tuple[int, int]:
    lists = db.session.scalar(sa.select(sa.func.count()).select_from(ContactList))
    imports = db.session.scalar(sa.select(sa.func.count()).select_from(ContactImport))
    return lists, imports


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b'[{"telefone": "11987654321", "nome": "Ana"}]', "contatos.json", "JSON"),
        (b'{"contatos": [{"telefone": "11987654321"}]}', "contatos.csv", "JSON"),  # renamed
        (b'\xef\xbb\xbf  \n[\n  {"a": 1}\n]', "x.txt", "JSON"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "a.xls", "HTML"),
        (b'<?xml version="1.0"?><Workbook></Workbook>', "a.xml", "XML"),
        (b"{\\rtf1\\ansi telefone}", "a.rtf", "rtf"),
    ],
)
def test_non_spreadsheets_are_refused_before_a_list_exists(
    client, create_client, login_as, content, filename, message
):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    response = client.post(
        "/contacts/imports/new",
        data={"file": (io.BytesIO(content), filename), "list_id": "", "list_name": "Nova", "sheet": ""},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and "não é uma planilha" in html
    assert _counts() == (0, 0)
    assert not list(uploads.upload_dir(tenant.id).glob("*.upload"))  # the copy is gone too


def test_a_csv_that_starts_with_a_bracket_word_is_still_a_csv(app, create_client, tmp_path):
    tenant = create_client()
    path = tmp_path / "a.csv"
    path.write_bytes(b"[Nome];Telefone\nAna;11987654321\n")
    imp = service.create_import(tenant.id, None, stream_or_path=path, filename="a.csv")
    assert imp.kind == "csv"


def test_a_json_sheet_campaign_creates_no_list(app, create_client, create_template, tmp_path):
    from clickpro.services.campaigns.form import CampaignError
    from clickpro.services.campaigns.sheet import campaign_from_spreadsheet

    tenant = create_client()
    body = [{"type": "BODY", "text": "Oi {{1}}", "example": {"body_text": [["Ana"]]}}]
    template = create_template(tenant, name="oi", components=body)
    with pytest.raises(CampaignError, match="JSON"):
        campaign_from_spreadsheet(
            tenant.id, None, stream=io.BytesIO(b'[{"telefone": "1"}]'), filename="a.json",
            name="X", template_id=template.id,
        )  # fmt: skip
    assert _counts() == (0, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def _upload(tenant, write_csv, **kwargs) -> ContactImport:
    path = write_csv([["telefone"], ["11987654321"]])
    return service.create_import(tenant.id, None, stream_or_path=path, filename="a.csv", **kwargs)


def _age(imp: ContactImport, seconds: float) -> None:
    imp.created_at = utcnow() - timedelta(seconds=seconds)
    db.session.commit()


def test_an_abandoned_mapping_is_deleted_with_its_empty_list(app, create_client, write_csv):
    tenant = create_client()
    abandoned = _upload(tenant, write_csv)  # a new list "Importação a"
    chosen_list = ContactList(client_id=tenant.id, name="Minha lista")
    db.session.add(chosen_list)
    db.session.commit()
    into_chosen = _upload(tenant, write_csv, list_id=chosen_list.id)
    mapped = _upload(tenant, write_csv)
    service.set_mapping(mapped.id, {"phone": 0})
    recent = _upload(tenant, write_csv)
    for imp in (abandoned, into_chosen, mapped):
        _age(imp, 25 * 3600)
    _age(recent, 23 * 3600)
    ids = {imp.id: (imp.list_id, Path(imp.stored_path)) for imp in (abandoned, into_chosen)}
    result = uploads.sweep_unstarted()
    assert result["abandoned"] == 2
    db.session.expire_all()
    for import_id, (_list_id, path) in ids.items():
        assert db.session.get(ContactImport, import_id) is None and not path.exists()
    assert db.session.get(ContactList, ids[abandoned.id][0]) is None  # made for it: gone
    assert db.session.get(ContactList, chosen_list.id) is not None  # chosen: kept
    assert db.session.get(ContactImport, mapped.id) is not None  # mapped: not abandoned
    assert db.session.get(ContactImport, recent.id) is not None  # too recent
    assert uploads.sweep_unstarted()["abandoned"] == 0


def test_the_abandoned_age_is_a_setting(app, create_client, write_csv):
    app.config["IMPORT_ABANDONED_AFTER_S"] = 60
    tenant = create_client()
    imp = _upload(tenant, write_csv)
    _age(imp, 120)
    assert uploads.sweep_abandoned() == 1


def test_a_list_with_members_is_never_deleted_by_the_sweep(app, create_client, write_csv, run_file):
    tenant = create_client()
    done = run_file(tenant, write_csv([["telefone"], ["11987654321"]]), list_name="Feira")
    again = _upload(tenant, write_csv, list_name="Feira")  # same list, now with a member
    _age(again, 25 * 3600)
    assert uploads.sweep_abandoned() == 1
    assert db.session.get(ContactList, done.list_id) is not None


def test_xlsx_dates_become_brazilian_dates(create_client, write_xlsx, run_file, contacts_of):
    tenant = create_client()
    path = write_xlsx(
        [
            ["telefone", "nascimento", "visita", "hora", "numero"],
            ["11987654321", dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 5, 14, 30), dt.time(9, 5), 42],
            ["11977776666", dt.date(1990, 12, 31), dt.datetime(2026, 2, 1, 8, 0, 15), None, 1.5],
        ]
    )  # fmt: skip
    run_file(tenant, path)
    contacts = contacts_of(tenant)
    assert contacts["+5511987654321"].attributes == {
        "nascimento": "05/01/2026", "visita": "05/01/2026 14:30", "hora": "09:05", "numero": "42",
    }  # fmt: skip
    assert contacts["+5511977776666"].attributes == {
        "nascimento": "31/12/1990", "visita": "01/02/2026 08:00:15", "numero": "1.5",
    }  # fmt: skip


def test_create_import_refusal_is_a_contact_import_error(app, create_client, tmp_path):
    tenant = create_client()
    path = tmp_path / "a.json"
    path.write_bytes(b'{"a": 1}')
    with pytest.raises(ContactImportError, match="JSON"):
        service.create_import(tenant.id, None, stream_or_path=path, filename="a.json")
