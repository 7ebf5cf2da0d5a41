"""Import a list of numbers to opt out (CSV/.xlsx/.txt), reusing the spreadsheet reader.

The phone column is guessed from the header (telefone, celular…) or is the first one;
a file without a header (one number per line) works too: a first line that is a valid
phone counts as data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from clickpro.models import OptOutSource
from clickpro.services.contacts import optout
from clickpro.services.contacts.imports import reader
from clickpro.services.contacts.imports.errors import ContactImportError
from clickpro.services.contacts.imports.mapping import guess_mapping
from clickpro.services.contacts.imports.uploads import save_upload
from clickpro.services.contacts.phones import InvalidPhone, normalize_phone

MAX_INVALID_SHOWN = 20


@dataclass
class OptOutImportResult:
    added: int = 0
    already: int = 0
    invalid: list[tuple[int, str, str]] = field(default_factory=list)
    invalid_count: int = 0


def import_opt_outs(client_id: int, stream_or_path, reason: str = "") -> OptOutImportResult:
    max_bytes = int(current_app.config["IMPORT_MAX_BYTES"])
    path = save_upload(client_id, stream_or_path, max_bytes)
    try:
        return _import(client_id, path, reason)
    except reader.UnsupportedFile as exc:
        raise ContactImportError(str(exc)) from None
    finally:
        Path(path).unlink(missing_ok=True)


def _import(client_id: int, path: Path, reason: str) -> OptOutImportResult:
    info, header, _ = reader.preview(path, rows=1)
    guessed = guess_mapping(header).get("phone")
    column = guessed if guessed is not None else 0
    result = OptOutImportResult()
    if guessed is None and header and _is_phone(header[column]):
        _one(client_id, 1, header[column], reason, result)  # no header: line 1 is data
    for line, cells in reader.iter_rows(path, info=info):
        _one(client_id, line, cells[column] if column < len(cells) else "", reason, result)
    return result


def _is_phone(raw: str) -> bool:
    try:
        normalize_phone(raw, "BR")
    except InvalidPhone:
        return False
    return True


def _one(client_id: int, line: int, raw: str, reason: str, result: OptOutImportResult) -> None:
    try:
        phone = normalize_phone(raw, "BR")
    except InvalidPhone as exc:
        result.invalid_count += 1
        if len(result.invalid) < MAX_INVALID_SHOWN:
            result.invalid.append((line, raw, exc.message))
        return
    if optout.add_opt_out(client_id, phone, OptOutSource.IMPORT, reason):
        result.added += 1
    else:
        result.already += 1
