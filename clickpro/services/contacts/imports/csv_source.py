"""CSV uploads: encoding and delimiter detection, streamed records, a fast line count.

Brazilian Excel saves "CSV" as Windows-1252 with ``;``, so neither is assumed.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from flask_babel import gettext as _

from clickpro.services.contacts.imports.common import (
    CHUNK,
    Records,
    UnsupportedFile,
    current_limits,
)

_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 50
_DELIMITERS = (";", ",", "\t", "|")
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as UTF-8, else Windows-1252.

    The whole file is validated, in big chunks with an incremental decoder, because an
    accented name on row 80,000 is enough to make a cp1252 file invalid UTF-8. Bytes that
    cp1252 leaves undefined mean Latin-1 (which maps every byte).
    """
    with path.open("rb") as fh:
        first = fh.read(CHUNK)
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"  # Excel's "Texto Unicode" export
        encoding = "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = first
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = fh.read(CHUNK)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            pass
        while chunk:
            if any(byte in chunk for byte in _CP1252_UNDEFINED):
                return "latin-1"
            chunk = fh.read(CHUNK)
    return "cp1252"


def sniff_delimiter(path: Path, encoding: str) -> str:
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


def _bounded_lines(fh, max_chars: int):
    """The file's physical lines, refusing one longer than ``max_chars`` *before* it is
    split: a 10 MB line of commas must not become 5 million cells in memory."""
    number = 0
    while True:
        line = fh.readline(max_chars + 1)
        if not line:
            return
        number += 1
        if len(line) > max_chars:
            raise UnsupportedFile(
                _(
                    "A linha %(line)s passa de %(max)s caracteres: colunas ou células demais.",
                    line=number,
                    max=max_chars,
                )  # fmt: skip
            )
        yield line


def csv_records(path: Path, encoding: str, delimiter: str) -> Records:
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        lines = _bounded_lines(fh, current_limits().max_line_chars)
        reader = csv.reader(lines, delimiter=delimiter)
        start = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise UnsupportedFile(
                    _(
                        "CSV malformado perto da linha %(line_num)s: verifique se há aspas sem fechamento.",
                        line_num=reader.line_num,
                    )
                ) from exc
            yield start, [cell.strip() for cell in record]
            start = reader.line_num + 1


def count_csv_lines(path: Path, encoding: str | None) -> int:
    r"""Line breaks before the last non-blank byte, + 1 for that last line, - 1 for the header."""
    newline = b"\n"
    if encoding == "utf-16":
        newline = b"\n\x00"  # good enough for an estimate in either byte order
    lines = 0
    last_content_lines = -1
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if newline not in chunk and b"\r" in chunk and lines == 0:
                newline = b"\r"  # classic Mac line endings
            stripped = chunk.rstrip()
            if stripped:
                last_content_lines = lines + stripped.count(newline)
            lines += chunk.count(newline)
    if last_content_lines < 0:
        return 0
    return max(0, last_content_lines)  # (+1 last line) - (1 header)
