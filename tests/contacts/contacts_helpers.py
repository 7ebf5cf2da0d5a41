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


def kill_writer_on_batch(monkeypatch, batch_number: int) -> None:
    """Make the import's ``batch_number``-th batch write raise, as a worker killed mid-run
    would leave it (the batches before it stay committed)."""
    from clickpro.services.contacts.imports import writer

    original = writer.BatchWriter.write
    calls = {"n": 0}

    def flaky(self, batch, counters):
        calls["n"] += 1
        if calls["n"] == batch_number:
            raise RuntimeError("worker killed")
        return original(self, batch, counters)

    monkeypatch.setattr(writer.BatchWriter, "write", flaky)
