"""Where uploaded spreadsheets are kept: ``IMPORT_UPLOAD_DIR`` (default instance/uploads),
one folder per client, random file names (never the user's), size-capped while copying."""

from __future__ import annotations

import secrets
from contextlib import ExitStack
from pathlib import Path

from flask import current_app

from clickpro.models import ContactImport
from clickpro.services.contacts.imports.errors import ContactImportError

_COPY_CHUNK = 1 << 20


def upload_dir(client_id: int) -> Path:
    root = (
        current_app.config.get("IMPORT_UPLOAD_DIR") or Path(current_app.instance_path) / "uploads"
    )
    path = Path(root) / str(client_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(client_id: int, stream_or_path, max_bytes: int) -> Path:
    """Copy a path, a file object or a werkzeug ``FileStorage``; refuse past ``max_bytes``."""
    target = upload_dir(client_id) / f"{secrets.token_hex(16)}.upload"
    too_big = False
    with ExitStack() as stack:
        if isinstance(stream_or_path, str | Path):
            source = stack.enter_context(Path(stream_or_path).open("rb"))
        else:
            source = getattr(stream_or_path, "stream", stream_or_path)
        out = stack.enter_context(target.open("wb"))
        written = 0
        while chunk := source.read(_COPY_CHUNK):
            written += len(chunk)
            if written > max_bytes:
                too_big = True
                break
            out.write(chunk)
    if too_big:
        target.unlink(missing_ok=True)
        megabytes = max_bytes / (1024 * 1024)
        raise ContactImportError(f"Arquivo maior que o limite de {megabytes:.0f} MB.")
    return target


def delete_upload(imp: ContactImport) -> None:
    """Remove the stored file (once imported, every row is in the database)."""
    if imp.stored_path:
        Path(imp.stored_path).unlink(missing_ok=True)
