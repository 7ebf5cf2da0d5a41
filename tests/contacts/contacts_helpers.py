"""Helpers for the contacts tests (imported by module name: tests/contacts is on sys.path)."""

from __future__ import annotations

import csv
import io


def rejected_report(import_id: int) -> list[list[str]]:
    """The rejected-rows CSV parsed back, checking the BOM and the ``;`` separator."""
    from clickpro.services.contacts.imports.service import rejected_rows_csv

    text = "".join(rejected_rows_csv(import_id))
    assert text.startswith("\ufeff"), "the report must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
