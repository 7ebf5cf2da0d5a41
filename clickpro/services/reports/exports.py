"""Any report :class:`~clickpro.services.reports.queries.Table` as XLSX or CSV.

The CSV is for Excel pt-BR: UTF-8 with a BOM (accents survive a double click), ``;`` as
the separator, decimal comma, dates as dd/mm/aaaa (the rows are already local days of the
client's time zone), and cells that start like a formula neutralised
(:mod:`clickpro.csv_safe`). XLSX keeps numbers as numbers and dates as dates.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from clickpro.csv_safe import BOM, neutralize
from clickpro.services.reports.queries import Table


def _number_pt(value: float | Decimal | int, places: int) -> str:
    """``1234.5`` → ``1234,50``: decimal comma, no thousands separator (Excel pt-BR
    reads it as a number; a ``.`` would be a thousands mark there)."""
    return f"{value:.{places}f}".replace(".", ",") if places else str(int(round(value)))


def csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return str(value)
    if kind == "seconds" and isinstance(value, int | float | Decimal):
        return _number_pt(value, 0)
    if kind == "money" and isinstance(value, int | float | Decimal):
        return _number_pt(Decimal(value), 2 if abs(Decimal(value)) >= 1 else 4)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        if kind == "pct":
            return _number_pt(value, 1)
        return _number_pt(value, 2 if abs(Decimal(str(value))) >= 1 else 4)  # small AI spends
    return neutralize(str(value))


def header(column) -> str:
    """Exports carry raw seconds (sortable numbers); the header says so."""
    return f"{column.label} (s)" if column.kind == "seconds" else column.label


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralize(header(c)) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
    return (BOM + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = table.title[:31]
    ws.append([header(c) for c in table.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        values: list[Any] = []
        for v in row:
            if isinstance(v, Decimal):
                v = float(v)
            elif isinstance(v, str):
                v = neutralize(v)
            values.append(v)
        ws.append(values)
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        if column.kind == "date":
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "DD/MM/YYYY"
        elif column.kind == "money":
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "#,##0.00##"
        ws.column_dimensions[letter].width = max(12, min(48, len(column.label) + 4))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
