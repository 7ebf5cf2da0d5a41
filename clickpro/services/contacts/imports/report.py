"""The rejected-rows report: CSV for Excel-BR (UTF-8 with BOM, ``;``, CRLF), streamed."""

from __future__ import annotations

import io
from collections.abc import Iterator

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.csv_safe import SafeWriter
from clickpro.extensions import db
from clickpro.models import ContactImport, ContactImportRejection
from clickpro.services.contacts.imports.errors import ContactImportError


def rejected_rows_csv(import_id: int) -> Iterator[str]:
    """Lines of: linha; the original columns (by the file's header); motivo."""
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
