"""Rows of one file that collapse into one contact (the same number in other shapes) are
reported as merged duplicates with their line numbers; the first row wins and the values
of different rows are never mixed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from contacts_helpers import kill_writer_on_batch, rejected_report

from clickpro.extensions import db
from clickpro.models import ContactImport, ContactImportRejection

ROWS = [
    ["nome", "telefone", "cidade", "plano"],
    ["Ana", "(11) 98765-4321", "SP", ""],  # line 2: kept
    ["Bia", "+55 11 98765-4321", "RJ", "ouro"],  # line 3: same number with +55
    ["Carla", "11 8765-4321", "", "prata"],  # line 4: the 8-digit form of it
    ["Davi", "21 99876-5432", "Rio", ""],  # line 5: another person
    ["Erro", "12", "", ""],  # line 6: rejected
]


@pytest.mark.parametrize("batch_size", [100, 2])  # in one batch, and across batches
def test_first_row_wins_and_the_others_are_reported(
    create_client, write_csv, run_file, contacts_of, batch_size
):
    tenant = create_client()
    imp = run_file(tenant, write_csv(ROWS), batch_size=batch_size)
    assert (imp.rows, imp.imported, imp.merged, imp.rejected) == (5, 2, 2, 1)
    ana = contacts_of(tenant)["+5511987654321"]
    assert ana.name == "Ana" and ana.attributes == {"cidade": "SP"}  # no "plano" from line 3/4
    kinds = dict(
        db.session.execute(
            sa.select(ContactImportRejection.line_number, ContactImportRejection.kind).where(
                ContactImportRejection.import_id == imp.id
            )
        ).all()
    )
    assert kinds == {3: "merged", 4: "merged", 6: "rejected"}
    kept = db.session.scalars(
        sa.select(ContactImportRejection.kept_line).where(ContactImportRejection.kind == "merged")
    ).all()
    assert kept == [2, 2]
    report = rejected_report(imp.id)
    assert [r[0] for r in report[1:]] == ["3", "4", "6"]
    # (a leading "+" is quoted by the CSV writer against formula injection)
    assert report[1][1:5] == ["Bia", "'+55 11 98765-4321", "RJ", "ouro"]
    assert "linha 2" in report[1][-1] and "mesclado" in report[1][-1].lower()


def test_resumed_import_still_knows_the_numbers_before_the_checkpoint(
    create_client, write_csv, run_file, contacts_of, monkeypatch
):
    from clickpro.services.contacts.imports import service

    tenant = create_client()
    path = write_csv(ROWS)
    kill_writer_on_batch(monkeypatch, 2)
    imp = service.create_import(tenant.id, None, stream_or_path=path, filename="a.csv")
    _, _, _, suggested = service.preview_import(imp.id)
    service.set_mapping(imp.id, suggested)
    with pytest.raises(RuntimeError):
        service.run_import(imp.id, batch_size=2)  # lines 2-3 committed, 4-5 lost
    service.run_import(imp.id, batch_size=2)
    db.session.expire_all()
    done = db.session.get(ContactImport, imp.id)
    assert (done.imported, done.merged, done.rejected) == (2, 2, 1)
    assert contacts_of(tenant)["+5511987654321"].attributes == {"cidade": "SP"}


def test_the_import_page_lists_merged_rows(client, create_client, login_as, write_csv):
    import io

    tenant = create_client()
    login_as(tenant.admin, tenant)
    data = write_csv(ROWS).read_bytes()
    response = client.post(
        "/contacts/imports/new",
        data={"file": (io.BytesIO(data), "a.csv"), "list_id": "", "list_name": "", "sheet": ""},
        content_type="multipart/form-data",
    )
    mapping_url = response.headers["Location"]
    form = {"phone": "1", "name": "0", "use_2": "1", "attr_2": "cidade"}
    detail_url = client.post(mapping_url, data=form).headers["Location"]
    page = client.get(detail_url).get_data(as_text=True)
    assert 'data-testid="import-report"' in page
    assert page.count('data-kind="merged"') == 2 and page.count('data-kind="rejected"') == 1
    assert "mesclada na linha 2" in page and 'id="import-merged">2<' in page
    assert "rejected.csv" in page
