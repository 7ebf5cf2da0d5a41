"""xlsx uploads: zip sanity check, read-only workbook, streamed records, row count, cell text.

openpyxl's read-only mode streams the rows but still loads the shared-strings table.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import gettext

from clickpro.services.contacts.imports.common import (
    CHUNK,
    CONVERT_HINT,
    Records,
    SheetInfo,
    SheetNotFound,
    UnsupportedFile,
    current_limits,
)


def check_xlsx_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        raise UnsupportedFile(
            gettext("Arquivo compactado corrompido. %(convert_hint)s", convert_hint=CONVERT_HINT)
        ) from None
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        _check_shared_strings(path)
        return
    if "content.xml" in names and "mimetype" in names:
        raise UnsupportedFile(
            gettext(
                "Planilha do LibreOffice (.ods) não é suportada. %(convert_hint)s",
                convert_hint=CONVERT_HINT,
            )
        )
    raise UnsupportedFile(
        gettext(
            "Arquivo compactado (.zip) não é uma planilha. %(convert_hint)s",
            convert_hint=CONVERT_HINT,
        )
    )


_SI_TAG = re.compile(rb"<(?:\w+:)?si[\s>/]")
# Excel stores each distinct text once: real shared strings cost bytes when compressed.
# Millions of them in a few hundred KB are copies made to exhaust memory.
_MIN_COMPRESSED_BYTES_PER_STRING = 0.5
_RATIO_CHECK_FROM = 100_000
_MAX_SHARED_XML_BYTES = 1 << 30


def _check_shared_strings(path: Path) -> None:
    """Refuse a workbook whose shared-strings table would not fit in a worker.

    openpyxl loads the whole table even in read-only mode (3 M strings from a 490 KB
    file cost 560 MB), so the ``<si>`` elements are counted first, streaming the zip
    entry in chunks, without parsing.
    """
    limit = current_limits().max_shared_strings
    with zipfile.ZipFile(path) as zf:
        info = next(
            (i for i in zf.infolist() if i.filename.lower() == "xl/sharedstrings.xml"), None
        )
        if info is None:
            return
        count, seen, tail = 0, 0, b""
        with zf.open(info) as src:
            while chunk := src.read(CHUNK):
                seen += len(chunk)
                data = tail + chunk
                cut = max(0, len(data) - 8)
                count += sum(1 for m in _SI_TAG.finditer(data) if m.start() < cut)
                tail = data[cut:]
                if count > limit or seen > _MAX_SHARED_XML_BYTES:
                    break
        count += len(_SI_TAG.findall(tail))
    suspicious = (
        count > _RATIO_CHECK_FROM and info.compress_size < count * _MIN_COMPRESSED_BYTES_PER_STRING
    )
    if count > limit or seen > _MAX_SHARED_XML_BYTES or suspicious:
        raise UnsupportedFile(
            gettext(
                "A planilha tem textos demais para importar (mais de %(max)s textos "
                "distintos, ou repetidos de forma suspeita). %(convert_hint)s",
                max=f"{limit:,}".replace(",", "."),
                convert_hint=CONVERT_HINT,
            )  # fmt: skip
        )


@contextmanager
def _workbook(path: Path) -> Iterator[Any]:
    """Open read-only and always close (workbook and file handle).

    openpyxl is given a file object because, given a path, it refuses names that do not
    end in .xlsx, and the type here comes from the content.
    """
    import openpyxl  # imported lazily: CSV-only workers do not pay for it

    with path.open("rb") as fh:
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for broken files
            raise UnsupportedFile(
                gettext(
                    "Arquivo .xlsx corrompido ou inválido. %(convert_hint)s",
                    convert_hint=CONVERT_HINT,
                )
            ) from exc
        try:
            yield wb
        finally:
            wb.close()


def _select_sheet(wb: Any, sheet: str | None) -> Any:
    if sheet is None:
        if not wb.worksheets:
            raise UnsupportedFile(gettext("A planilha não tem abas."))
        return wb.worksheets[0]
    if sheet not in wb.sheetnames:
        names = ", ".join(wb.sheetnames)
        raise SheetNotFound(
            gettext(
                "Aba “%(sheet)s” não encontrada. Abas disponíveis: %(names)s",
                sheet=sheet,
                names=names,
            )
        )
    return wb[sheet]


def inspect_xlsx(path: Path, sheet: str | None) -> SheetInfo:
    with _workbook(path) as wb:
        ws = _select_sheet(wb, sheet)
        return SheetInfo(
            kind="xlsx",
            encoding=None,
            delimiter=None,
            sheet_names=list(wb.sheetnames),
            sheet=ws.title,
        )


def xlsx_records(path: Path, sheet: str | None) -> Records:
    with _workbook(path) as wb:
        ws = _select_sheet(wb, sheet)
        # The declared dimension (<dimension ref="A1:C9">) bounds the rows and columns
        # openpyxl returns, and some generators write a wrong one: ignore it.
        ws.reset_dimensions()
        # Read-only worksheets yield missing rows as empty rows, so enumerate keeps the
        # row number a person sees in Excel.
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [cell_text(value) for value in values]


def count_xlsx(path: Path, info: SheetInfo) -> int:
    with _workbook(path) as wb:
        ws = _select_sheet(wb, info.sheet)
        max_row = ws.max_row
        if max_row is None or max_row <= 1:  # missing or bogus ("A1") dimension
            max_row = _count_row_elements(ws)
        return max(0, max_row - 1)


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _count_row_elements(ws: Any) -> int:
    """Count ``<row>`` elements in the raw sheet XML (~10x faster than parsing the cells).

    Uses openpyxl's private ``_get_source``; falls back to a full openpyxl scan.
    """
    get_source = getattr(ws, "_get_source", None)
    if get_source is None:  # pragma: no cover - depends on the openpyxl version
        ws.reset_dimensions()
        return sum(1 for _ in ws.iter_rows(values_only=True))
    rows, tail = 0, b""
    with get_source() as src:
        while chunk := src.read(CHUNK):
            data = tail + chunk
            cut = max(0, len(data) - 16)  # tags starting after `cut` wait for the next chunk
            rows += sum(1 for m in _ROW_TAG.finditer(data) if m.start() < cut)
            tail = data[cut:]
    return rows + len(_ROW_TAG.findall(tail))


def cell_text(value: object) -> str:
    """An xlsx cell value as the text a person sees (numbers without ``.0`` or ``E+``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "VERDADEIRO" if value else "FALSO"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return date_text(value)
    return str(value).strip()


def date_text(value: dt.date | dt.time) -> str:
    """A date cell as a Brazilian writes it: ``05/01/2026``, ``05/01/2026 14:30``, ``14:30``.

    openpyxl returns the cells Excel formats as dates as ``datetime`` (midnight for a
    plain date); an attribute then reads like the spreadsheet, not ``2026-01-05
    00:00:00`` or a serial number. Seconds only when there are any.
    """
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if not isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    if value.time() == dt.time(0, 0):
        return value.strftime("%d/%m/%Y")
    return value.strftime("%d/%m/%Y %H:%M:%S" if value.second else "%d/%m/%Y %H:%M")


def _float_text(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return ""
    if value.is_integer():
        return str(int(value))  # 5.511987654321E+12 -> "5511987654321"
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text
