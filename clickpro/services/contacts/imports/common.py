"""What the CSV and xlsx readers share: errors, the sheet description, the row shape.

Both formats produce *records* ``(row_number, cells)``; the helpers here turn them into
the header and the data rows every caller sees (blank rows skipped, short rows padded,
Excel's trailing ``;;;`` padding dropped).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Literal

from flask_babel import lazy_gettext as _l

from clickpro.errors import ServiceError

CHUNK = 1 << 20  # 1 MiB binary chunks for encoding validation and line counting
CONVERT_HINT = _l("Salve a planilha como .xlsx ou CSV e envie novamente.")
Records = Generator[tuple[int, list[str]], None, None]


class UnsupportedFile(ServiceError, ValueError):
    """The upload cannot be read as a contact spreadsheet (message in pt_BR)."""

    field = "file"


class SheetNotFound(UnsupportedFile):
    """The requested worksheet does not exist in the workbook."""


@dataclass
class SheetInfo:
    kind: Literal["csv", "xlsx"]
    encoding: str | None
    delimiter: str | None
    sheet_names: list[str] = field(default_factory=list)
    sheet: str | None = None


def read_header(records: Records) -> list[str] | None:
    for _, cells in records:
        if any(cells):
            return trim_trailing_empty(cells, 0)
    return None


def data_rows(
    records: Iterator[tuple[int, list[str]]], width: int
) -> Iterator[tuple[int, list[str]]]:
    for line, cells in records:
        if not any(cells):
            continue
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        elif len(cells) > width:
            cells = trim_trailing_empty(cells, width)
        yield line, cells


def trim_trailing_empty(cells: list[str], keep: int) -> list[str]:
    """Drop empty cells at the end beyond ``keep`` (Excel pads rows with ``;;;``)."""
    end = len(cells)
    while end > keep and not cells[end - 1]:
        end -= 1
    return cells[:end] if end != len(cells) else cells
