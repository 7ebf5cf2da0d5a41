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
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "SheetInfo",
    "SheetNotFound",
    "UnsupportedFile",
    "count_rows",
    "inspect",
    "iter_rows",
    "preview",
]

_CHUNK = 1 << 20  # 1 MiB binary chunks for encoding validation and line counting
_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 50
_DELIMITERS = (";", ",", "\t", "|")
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_Records = Generator[tuple[int, list[str]], None, None]
_CONVERT_HINT = "Salve a planilha como .xlsx ou CSV e envie novamente."

# Magic numbers of binaries people upload by mistake, with a pt_BR description.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "Planilha do Excel antigo (.xls) ou arquivo protegido por senha não é suportada.",
    ),
    (b"MZ", "Arquivo executável não é uma planilha."),
    (b"\x7fELF", "Arquivo executável não é uma planilha."),
    (b"\x89PNG", "Imagem PNG não é uma planilha."),
    (b"\xff\xd8\xff", "Imagem JPEG não é uma planilha."),
    (b"GIF8", "Imagem GIF não é uma planilha."),
    (b"%PDF", "Arquivo PDF não é uma planilha."),
    (b"Rar!", "Arquivo compactado (.rar) não é uma planilha."),
    (b"7z\xbc\xaf", "Arquivo compactado (.7z) não é uma planilha."),
    (b"\x1f\x8b", "Arquivo compactado (.gz) não é uma planilha."),
)


class UnsupportedFile(ValueError):
    """The upload cannot be read as a contact spreadsheet (message in pt_BR)."""


class SheetNotFound(UnsupportedFile):
    """The requested worksheet does not exist in the workbook."""


@dataclass
class SheetInfo:
    kind: Literal["csv", "xlsx"]
    encoding: str | None
    delimiter: str | None
    sheet_names: list[str] = field(default_factory=list)
    sheet: str | None = None


# --------------------------------------------------------------------------- public API


def inspect(path: str | Path, *, sheet: str | None = None) -> SheetInfo:
    """Detect the file type and how to read it; raise :class:`UnsupportedFile` otherwise."""
    path = Path(path)
    kind = _detect_kind(path)
    if kind == "xlsx":
        return _inspect_xlsx(path, sheet)
    encoding = _detect_encoding(path)
    return SheetInfo(kind="csv", encoding=encoding, delimiter=_sniff_delimiter(path, encoding))


def preview(
    path: str | Path, *, sheet: str | None = None, rows: int = 10
) -> tuple[SheetInfo, list[str], list[list[str]]]:
    """(info, header, first ``rows`` data rows) for the column-mapping screen."""
    info = inspect(path, sheet=sheet)
    records = _iter_records(Path(path), info)
    try:
        header = _read_header(records)
        first: list[list[str]] = []
        if header is not None:
            for _, cells in _data_rows(records, len(header)):
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
        header = _read_header(records)
        if header is not None:
            yield from _data_rows(records, len(header))
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
        return _count_xlsx(path, info)
    return _count_csv_lines(path, info.encoding)


# --------------------------------------------------------------------------- detection


def _detect_kind(path: Path) -> Literal["csv", "xlsx"]:
    with path.open("rb") as fh:
        head = fh.read(8192)
    blank_start = not head.removeprefix(codecs.BOM_UTF8).strip()
    if blank_start and (len(head) < 8192 or not _has_content(path)):
        raise UnsupportedFile("Arquivo vazio")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        _check_xlsx_zip(path)
        return "xlsx"
    for magic, message in _MAGIC:
        if head.startswith(magic):
            raise UnsupportedFile(f"{message} {_CONVERT_HINT}")
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnsupportedFile(f"Arquivo binário não é uma planilha. {_CONVERT_HINT}")
    return "csv"


def _has_content(path: Path) -> bool:
    """True when the file has anything but whitespace (a file of blank lines is empty)."""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if chunk.strip():
                return True
    return False


def _check_xlsx_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        raise UnsupportedFile(f"Arquivo compactado corrompido. {_CONVERT_HINT}") from None
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return
    if "content.xml" in names and "mimetype" in names:
        raise UnsupportedFile(f"Planilha do LibreOffice (.ods) não é suportada. {_CONVERT_HINT}")
    raise UnsupportedFile(f"Arquivo compactado (.zip) não é uma planilha. {_CONVERT_HINT}")


def _detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as UTF-8, else Windows-1252.

    The whole file is validated, in big chunks with an incremental decoder, because an
    accented name on row 80,000 is enough to make a cp1252 file invalid UTF-8. Bytes that
    cp1252 leaves undefined mean Latin-1 (which maps every byte).
    """
    with path.open("rb") as fh:
        first = fh.read(_CHUNK)
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"  # Excel's "Texto Unicode" export
        encoding = "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = first
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = fh.read(_CHUNK)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            pass
        while chunk:
            if any(byte in chunk for byte in _CP1252_UNDEFINED):
                return "latin-1"
            chunk = fh.read(_CHUNK)
    return "cp1252"


def _sniff_delimiter(path: Path, encoding: str) -> str:
    """Pick the delimiter that splits the first records most consistently.

    Parsing the sample with ``csv`` itself (rather than counting characters per line)
    keeps quoted fields with delimiters or newlines from skewing the vote. Ties go to
    ``;`` (Excel pt_BR). With a single column, a delimiter absent from the sample is used.
    """
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        sample = fh.read(_SNIFF_CHARS)
        truncated = bool(fh.read(1))
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in _DELIMITERS:
        records = _sample_records(sample, delimiter, truncated)
        score = _delimiter_score(records)
        if score > best_score:
            best, best_score = delimiter, score
    if not best_score[0]:
        # One column: any delimiter that never occurs keeps every value whole.
        return next((d for d in (",", ";", "\t", "|") if d not in sample), ",")
    return best


def _sample_records(sample: str, delimiter: str, truncated: bool) -> list[list[str]]:
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(sample), delimiter=delimiter):
            if any(cell.strip() for cell in record):
                records.append(record)
            if len(records) > _SNIFF_RECORDS:
                break
    except csv.Error:
        pass
    if truncated and len(records) > 1:
        records.pop()  # the last record may be cut in the middle
    return records


def _delimiter_score(records: list[list[str]]) -> tuple[bool, float, int]:
    """(header has several columns, share of rows with the header's width, width)."""
    if not records:
        return (False, 0.0, 0)
    width = len(records[0])
    rows = records[1:]
    consistent = sum(1 for r in rows if len(r) == width) / len(rows) if rows else 1.0
    return (width > 1, round(consistent, 2), width)


# --------------------------------------------------------------------------- records


def _iter_records(path: Path, info: SheetInfo) -> _Records:
    if info.kind == "xlsx":
        return _xlsx_records(path, info.sheet)
    return _csv_records(path, info.encoding or "utf-8", info.delimiter or ",")


def _read_header(records: _Records) -> list[str] | None:
    for _, cells in records:
        if any(cells):
            return _trim_trailing_empty(cells, 0)
    return None


def _data_rows(
    records: Iterator[tuple[int, list[str]]], width: int
) -> Iterator[tuple[int, list[str]]]:
    for line, cells in records:
        if not any(cells):
            continue
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        elif len(cells) > width:
            cells = _trim_trailing_empty(cells, width)
        yield line, cells


def _trim_trailing_empty(cells: list[str], keep: int) -> list[str]:
    """Drop empty cells at the end beyond ``keep`` (Excel pads rows with ``;;;``)."""
    end = len(cells)
    while end > keep and not cells[end - 1]:
        end -= 1
    return cells[:end] if end != len(cells) else cells


def _csv_records(path: Path, encoding: str, delimiter: str) -> _Records:
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        start = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise UnsupportedFile(
                    f"CSV malformado perto da linha {reader.line_num}: verifique se há aspas "
                    "sem fechamento."
                ) from exc
            yield start, [cell.strip() for cell in record]
            start = reader.line_num + 1


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
            raise UnsupportedFile(f"Arquivo .xlsx corrompido ou inválido. {_CONVERT_HINT}") from exc
        try:
            yield wb
        finally:
            wb.close()


def _select_sheet(wb: Any, sheet: str | None) -> Any:
    if sheet is None:
        if not wb.worksheets:
            raise UnsupportedFile("A planilha não tem abas.")
        return wb.worksheets[0]
    if sheet not in wb.sheetnames:
        names = ", ".join(wb.sheetnames)
        raise SheetNotFound(f"Aba “{sheet}” não encontrada. Abas disponíveis: {names}")
    return wb[sheet]


def _inspect_xlsx(path: Path, sheet: str | None) -> SheetInfo:
    with _workbook(path) as wb:
        ws = _select_sheet(wb, sheet)
        return SheetInfo(
            kind="xlsx",
            encoding=None,
            delimiter=None,
            sheet_names=list(wb.sheetnames),
            sheet=ws.title,
        )


def _xlsx_records(path: Path, sheet: str | None) -> _Records:
    with _workbook(path) as wb:
        ws = _select_sheet(wb, sheet)
        # The declared dimension (<dimension ref="A1:C9">) bounds the rows and columns
        # openpyxl returns, and some generators write a wrong one: ignore it.
        ws.reset_dimensions()
        # Read-only worksheets yield missing rows as empty rows, so enumerate keeps the
        # row number a person sees in Excel.
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [cell_text(value) for value in values]


def _count_xlsx(path: Path, info: SheetInfo) -> int:
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
        while chunk := src.read(_CHUNK):
            data = tail + chunk
            cut = max(0, len(data) - 16)  # tags starting after `cut` wait for the next chunk
            rows += sum(1 for m in _ROW_TAG.finditer(data) if m.start() < cut)
            tail = data[cut:]
    return rows + len(_ROW_TAG.findall(tail))


def _count_csv_lines(path: Path, encoding: str | None) -> int:
    r"""Line breaks before the last non-blank byte, + 1 for that last line, - 1 for the header."""
    newline = b"\n"
    if encoding == "utf-16":
        newline = b"\n\x00"  # good enough for an estimate in either byte order
    lines = 0
    last_content_lines = -1
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if newline not in chunk and b"\r" in chunk and lines == 0:
                newline = b"\r"  # classic Mac line endings
            stripped = chunk.rstrip()
            if stripped:
                last_content_lines = lines + stripped.count(newline)
            lines += chunk.count(newline)
    if last_content_lines < 0:
        return 0
    return max(0, last_content_lines)  # (+1 last line) - (1 header)


# --------------------------------------------------------------------------- cell text


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
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _float_text(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return ""
    if value.is_integer():
        return str(int(value))  # 5.511987654321E+12 -> "5511987654321"
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text
