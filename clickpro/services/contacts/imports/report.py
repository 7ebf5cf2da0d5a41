"""The rejected-rows report: CSV for Excel-BR (UTF-8 with BOM, ``;``, CRLF), streamed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.csv_safe import SafeWriter
from clickpro.extensions import db
from clickpro.models import ContactImport, ContactImportRejection
from clickpro.services.contacts.imports.errors import ContactImportError


@dataclass(frozen=True)
class ReportRow:
    line: int
    kind: str  # RejectionKind
    kept_line: int | None
    phone: str  # the phone cell as written in the file
    reason: str


def report_rows(imp: ContactImport, limit: int = 100) -> list[ReportRow]:
    """The first ``limit`` rejected or merged rows (by line) for the import page."""
    phone_index = imp.mapping.get("phone")
    stmt = (
        sa.select(
            ContactImportRejection.line_number,
            ContactImportRejection.kind,
            ContactImportRejection.kept_line,
            ContactImportRejection.raw,
            ContactImportRejection.reason,
        )
        .where(ContactImportRejection.import_id == imp.id)
        .order_by(ContactImportRejection.line_number)
        .limit(limit)
    )
    rows = []
    for line, kind, kept, raw, reason in db.session.execute(stmt):
        cells = list(raw or [])
        phone = ""
        if isinstance(phone_index, int) and 0 <= phone_index < len(cells):
            phone = str(cells[phone_index])
        rows.append(ReportRow(line, kind, kept, phone, reason))
    return rows


def rejected_rows_csv(import_id: int) -> Iterator[str]:
    """Lines of: linha; the original columns (by the file's header); motivo.

    Rejected rows and merged duplicates (same number as an earlier line, whose line the
    reason names) both appear, in line order.
    """
    imp = db.session.get(ContactImport, import_id)
    if imp is None:
        raise ContactImportError(_("Importação não encontrada."))
    header = list(imp.mapping.get("header") or [])
    buffer = io.StringIO()
    writer = SafeWriter(buffer, delimiter=";", lineterminator="\r\n")

    def line(cells: list) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield "\ufeff" + line(["linha", *header, "motivo"])
    stmt = (
        sa.select(
            ContactImportRejection.line_number,
            ContactImportRejection.raw,
            ContactImportRejection.reason,
        )
        .where(ContactImportRejection.import_id == imp.id)
        .order_by(ContactImportRejection.line_number)
        .execution_options(yield_per=2000)
    )
    for line_number, raw, reason in db.session.execute(stmt):
        cells = list(raw or [])
        if len(cells) < len(header):
            cells.extend([""] * (len(header) - len(cells)))
        yield line([line_number, *cells, reason])
