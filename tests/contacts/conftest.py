"""Fixtures of the contacts area: spreadsheet files written by the tests, import helpers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from clickpro.extensions import db
from clickpro.models import Contact, ContactImport


@pytest.fixture
def write_csv(tmp_path):
    """Write rows as a CSV file: ``write_csv(rows, delimiter=";", encoding="cp1252")``."""

    def _write(rows, *, name="contatos.csv", delimiter=";", encoding="utf-8", bom=False):
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        data = buffer.getvalue().encode(encoding)
        if bom:
            data = b"\xef\xbb\xbf" + data
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write


@pytest.fixture
def write_xlsx(tmp_path):
    def _write(rows, *, name="contatos.xlsx", sheets=None):
        import openpyxl

        wb = openpyxl.Workbook()
        wb.active.title = "Contatos"
        for row in rows:
            wb.active.append(row)
        for title, extra in (sheets or {}).items():
            ws = wb.create_sheet(title)
            for row in extra:
                ws.append(row)
        path = tmp_path / name
        wb.save(path)
        return path

    return _write


@pytest.fixture
def run_file(app):
    """create_import → preview → set_mapping (suggested or given) → run_import."""
    from clickpro.services.contacts.imports import service

    def _run(
        tenant,
        path: Path,
        *,
        mapping=None,
        mobile_only=False,
        update_existing=False,
        batch_size=None,
        **kwargs,
    ):
        imp = service.create_import(
            tenant.id, tenant.admin.id, stream_or_path=path, filename=path.name, **kwargs
        )
        _, _, _, suggested = service.preview_import(imp.id)
        options = {"mobile_only": mobile_only, "update_existing": update_existing}
        service.set_mapping(imp.id, mapping or suggested, options)
        service.run_import(imp.id, batch_size=batch_size)
        db.session.expire_all()
        return db.session.get(ContactImport, imp.id)

    return _run


@pytest.fixture
def contacts_of(app):
    def _contacts(tenant) -> dict[str, Contact]:
        rows = db.session.scalars(db.select(Contact).where(Contact.client_id == tenant.id))
        return {c.phone_e164: c for c in rows}

    return _contacts


@pytest.fixture(autouse=True)
def _uploads_in_tmp(app, tmp_path):
    """Uploads go to the test's temp dir, never to the repo's instance/."""
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
