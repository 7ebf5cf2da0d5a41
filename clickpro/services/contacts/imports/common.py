"""What the CSV and xlsx readers share: errors, the sheet description, the row shape.

Both formats produce *records* ``(row_number, cells)``; the helpers here turn them into
the header and the data rows every caller sees (blank rows skipped, short rows padded,
Excel's trailing ``;;;`` padding dropped).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Literal

from flask import current_app, has_app_context
from flask_babel import gettext
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


@dataclass(frozen=True)
class Limits:
    """What one upload may cost: a 10 MB one-line CSV of commas is 5 million cells, a
    490 KB xlsx can hold 3 million shared strings. Past these the file is refused."""

    max_columns: int = 200
    max_cell_chars: int = 4096
    max_shared_strings: int = 2_000_000

    @property
    def max_line_chars(self) -> int:
        """Longest physical CSV line read (every cell full, quoted, with its delimiter)."""
        return self.max_columns * (self.max_cell_chars + 3)


def current_limits() -> Limits:
    """The app's ``IMPORT_*`` limits (defaults outside an app context)."""
    if not has_app_context():
        return Limits()
    config = current_app.config
    return Limits(
        max_columns=int(config["IMPORT_PREVIEW_MAX_COLUMNS"]),
        max_cell_chars=int(config["IMPORT_MAX_CELL_CHARS"]),
        max_shared_strings=int(config["IMPORT_XLSX_MAX_SHARED_STRINGS"]),
    )


def check_row(line: int, cells: list[str], limits: Limits) -> None:
    """Refuse a row wider than ``max_columns`` or with a cell over ``max_cell_chars``."""
    if len(cells) > limits.max_columns:
        raise UnsupportedFile(
            gettext(
                "A linha %(line)s tem %(count)s colunas; o máximo é %(max)s.",
                line=line,
                count=len(cells),
                max=limits.max_columns,
            )  # fmt: skip
        )
    if cells and max(map(len, cells)) > limits.max_cell_chars:  # C-level: hot loop
        raise UnsupportedFile(
            gettext(
                "Uma célula da linha %(line)s passa de %(max)s caracteres.",
                line=line,
                max=limits.max_cell_chars,
            )  # fmt: skip
        )


def read_header(records: Records) -> list[str] | None:
    limits = current_limits()
    for line, cells in records:
        if any(cells):
            header = trim_trailing_empty(cells, 0)
            check_row(line, header, limits)
            return header
    return None


def data_rows(
    records: Iterator[tuple[int, list[str]]], width: int
) -> Iterator[tuple[int, list[str]]]:
    limits = current_limits()
    for line, cells in records:
        if not any(cells):
            continue
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        elif len(cells) > width:
            cells = trim_trailing_empty(cells, width)
        check_row(line, cells, limits)
        yield line, cells


def trim_trailing_empty(cells: list[str], keep: int) -> list[str]:
    """Drop empty cells at the end beyond ``keep`` (Excel pads rows with ``;;;``)."""
    end = len(cells)
    while end > keep and not cells[end - 1]:
        end -= 1
    return cells[:end] if end != len(cells) else cells
