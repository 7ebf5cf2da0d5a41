"""Streaming reader for uploaded contact spreadsheets (CSV or .xlsx).

The file type comes from the content, never from the extension: people rename files,
and browsers send whatever MIME type the OS guesses. CSV encoding and delimiter are
detected because Brazilian Excel saves "CSV" as Windows-1252 with ``;``.

Rows are streamed (constant memory, apart from openpyxl's shared-strings table) and
come with the row number a person sees in the spreadsheet, so import errors can say
"linha 1234".
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from clickpro.services.contacts.imports.common import (
    CHUNK,
    CONVERT_HINT,
    Records,
    SheetInfo,
    SheetNotFound,
    UnsupportedFile,
    data_rows,
    read_header,
)
from clickpro.services.contacts.imports.csv_source import (
    count_csv_lines,
    csv_records,
    detect_encoding,
    sniff_delimiter,
)
from clickpro.services.contacts.imports.xlsx_source import (
    cell_text,
    check_xlsx_zip,
    count_xlsx,
    inspect_xlsx,
    xlsx_records,
)

__all__ = [
    "SheetInfo",
    "SheetNotFound",
    "UnsupportedFile",
    "cell_text",
    "count_rows",
    "inspect",
    "iter_rows",
    "preview",
]

# Magic numbers of binaries people upload by mistake, with a pt_BR description.
_MAGIC: tuple[tuple[bytes, LazyString], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        _l("Planilha do Excel antigo (.xls) ou arquivo protegido por senha não é suportada."),
    ),
    (b"MZ", _l("Arquivo executável não é uma planilha.")),
    (b"\x7fELF", _l("Arquivo executável não é uma planilha.")),
    (b"\x89PNG", _l("Imagem PNG não é uma planilha.")),
    (b"\xff\xd8\xff", _l("Imagem JPEG não é uma planilha.")),
    (b"GIF8", _l("Imagem GIF não é uma planilha.")),
    (b"%PDF", _l("Arquivo PDF não é uma planilha.")),
    (b"Rar!", _l("Arquivo compactado (.rar) não é uma planilha.")),
    (b"7z\xbc\xaf", _l("Arquivo compactado (.7z) não é uma planilha.")),
    (b"\x1f\x8b", _l("Arquivo compactado (.gz) não é uma planilha.")),
)


# --------------------------------------------------------------------------- public API


def inspect(path: str | Path, *, sheet: str | None = None) -> SheetInfo:
    """Detect the file type and how to read it; raise :class:`UnsupportedFile` otherwise."""
    path = Path(path)
    kind = _detect_kind(path)
    if kind == "xlsx":
        return inspect_xlsx(path, sheet)
    encoding = detect_encoding(path)
    return SheetInfo(kind="csv", encoding=encoding, delimiter=sniff_delimiter(path, encoding))


def preview(
    path: str | Path, *, sheet: str | None = None, rows: int = 10
) -> tuple[SheetInfo, list[str], list[list[str]]]:
    """(info, header, first ``rows`` data rows) for the column-mapping screen."""
    info = inspect(path, sheet=sheet)
    records = _iter_records(Path(path), info)
    try:
        header = read_header(records)
        first: list[list[str]] = []
        if header is not None:
            for _, cells in data_rows(records, len(header)):
                if len(first) >= rows:
                    break
                first.append(cells)
    finally:
        records.close()
    return info, header or [], first


def iter_rows(
    path: str | Path, *, sheet: str | None = None, info: SheetInfo | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(row_number, cells)`` for every data row after the header.

    ``row_number`` is what a person sees: the header is row 1; for a CSV record spanning
    several lines (quoted newlines) it is the record's first line. Rows with only empty
    cells are skipped, short rows are padded to the header's width, cells are stripped.
    Pass the ``info`` from :func:`inspect` to skip detection (one pass over the file less).
    """
    path = Path(path)
    if info is None:
        info = inspect(path, sheet=sheet)
    records = _iter_records(path, info)
    try:
        header = read_header(records)
        if header is not None:
            yield from data_rows(records, len(header))
    finally:
        records.close()


def count_rows(path: str | Path, *, sheet: str | None = None, info: SheetInfo | None = None) -> int:
    """Number of data rows, for a progress bar.

    CSV: counts line breaks (exact unless records span lines or blank lines sit in the
    middle). XLSX: the sheet's declared dimension, or its ``<row>`` elements if it has
    none (empty rows in the middle are then not counted).
    """
    path = Path(path)
    if info is None:
        info = inspect(path, sheet=sheet)
    if info.kind == "xlsx":
        return count_xlsx(path, info)
    return count_csv_lines(path, info.encoding)


# --------------------------------------------------------------------------- detection


def _detect_kind(path: Path) -> Literal["csv", "xlsx"]:
    with path.open("rb") as fh:
        head = fh.read(8192)
    blank_start = not head.removeprefix(codecs.BOM_UTF8).strip()
    if blank_start and (len(head) < 8192 or not _has_content(path)):
        raise UnsupportedFile(gettext("Arquivo vazio"))
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        check_xlsx_zip(path)
        return "xlsx"
    for magic, message in _MAGIC:
        if head.startswith(magic):
            raise UnsupportedFile(f"{message} {CONVERT_HINT}")  # both lazy: translated here
    text_start = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if _looks_like_json(text_start):
        raise UnsupportedFile(
            gettext("Arquivo JSON não é uma planilha. %(convert_hint)s", convert_hint=CONVERT_HINT)
        )
    if text_start.startswith(b"<"):
        raise UnsupportedFile(
            gettext(
                "Arquivo HTML ou XML não é uma planilha. %(convert_hint)s",
                convert_hint=CONVERT_HINT,
            )
        )
    if text_start.startswith(b"{\\rtf"):
        raise UnsupportedFile(
            gettext(
                "Documento de texto (.rtf) não é uma planilha. %(convert_hint)s",
                convert_hint=CONVERT_HINT,
            )
        )
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnsupportedFile(
            gettext(
                "Arquivo binário não é uma planilha. %(convert_hint)s", convert_hint=CONVERT_HINT
            )
        )
    return "csv"


def _looks_like_json(start: bytes) -> bool:
    """``{`` or ``[`` followed by what JSON puts there (a key, a value, a nested array):
    no spreadsheet header starts like that."""
    if start[:1] not in (b"{", b"["):
        return False
    if start.startswith(b"{\\rtf"):
        return False
    rest = start[1:].lstrip()
    return not rest or rest[:1] in b'"{[]}-0123456789tfn'


def _has_content(path: Path) -> bool:
    """True when the file has anything but whitespace (a file of blank lines is empty)."""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if chunk.strip():
                return True
    return False


def _iter_records(path: Path, info: SheetInfo) -> Records:
    if info.kind == "xlsx":
        return xlsx_records(path, info.sheet)
    return csv_records(path, info.encoding or "utf-8", info.delimiter or ",")
