"""Contact imports, end to end: upload → preview/mapping → job → summary and rejected rows.

The contract used by the UI, the REST API and the campaigns feature:
``create_import``, ``preview_import``, ``set_mapping``, ``start_import``, ``run_import``
(the RQ job body, resumable) and ``rejected_rows_csv``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from clickpro import events
from clickpro.extensions import db
from clickpro.jobs import QUEUE_IMPORTS, enqueue
from clickpro.models import Client, ContactImport, ContactList, ImportStatus
from clickpro.models.base import utcnow
from clickpro.services.contacts import lists as contact_lists
from clickpro.services.contacts.imports import reader
from clickpro.services.contacts.imports.errors import ContactImportError
from clickpro.services.contacts.imports.mapping import (
    SETTINGS_KEY,
    apply_remembered,
    guess_mapping,
    parse_mapping,
    remembered_to_json,
)
from clickpro.services.contacts.imports.pg_writer import PostgresBatchWriter
from clickpro.services.contacts.imports.report import rejected_rows_csv
from clickpro.services.contacts.imports.rows import prefetch, read_batches
from clickpro.services.contacts.imports.uploads import delete_upload, save_upload, upload_dir
from clickpro.services.contacts.imports.writer import BatchWriter, Counters

log = logging.getLogger(__name__)
PREVIEW_ROWS = 10


def make_writer(
    client_id: int,
    list_id: int,
    import_id: int,
    *,
    update_existing: bool = False,
    campaign_id: int | None = None,
) -> BatchWriter:
    """The fastest writer for the database in use (COPY on PostgreSQL)."""
    cls = PostgresBatchWriter if db.engine.dialect.name == "postgresql" else BatchWriter
    return cls(
        client_id, list_id, import_id, update_existing=update_existing, campaign_id=campaign_id
    )


# --------------------------------------------------------------------------- upload


def _resolve_list(
    client_id: int, list_id, list_name: str | None, filename: str
) -> tuple[ContactList, bool]:
    """(the target list, whether it was created for this import)."""
    if list_id not in (None, ""):
        try:
            wanted = int(list_id)
        except (TypeError, ValueError):
            raise ContactImportError(gettext("Lista não encontrada.")) from None
        found = db.session.scalar(
            sa.select(ContactList).where(
                ContactList.id == wanted, ContactList.client_id == client_id
            )
        )
        if found is None:
            raise ContactImportError(gettext("Lista não encontrada."))
        return found, False
    try:
        if list_name and list_name.strip():
            existing = db.session.scalar(
                sa.select(ContactList.id).where(
                    ContactList.client_id == client_id, ContactList.name == list_name.strip()
                )
            )
            return contact_lists.get_or_create_list(client_id, list_name), existing is None
        stem = Path(filename or "planilha").stem or "planilha"
        name = contact_lists.unique_list_name(client_id, f"Importação {stem}")
        return contact_lists.create_list(client_id, name, commit=False), True
    except contact_lists.ListError as exc:
        raise ContactImportError(str(exc)) from None


def create_import(
    client_id: int,
    user_id: int | None,
    *,
    stream_or_path,
    filename: str,
    list_id: int | None = None,
    list_name: str | None = None,
    sheet: str | None = None,
) -> ContactImport:
    """Store and sniff an upload; the import waits for its mapping (status queued)."""
    max_bytes = int(current_app.config["IMPORT_MAX_BYTES"])
    path = save_upload(client_id, stream_or_path, max_bytes)
    try:
        info = reader.inspect(path, sheet=sheet or None)
    except reader.UnsupportedFile as exc:
        path.unlink(missing_ok=True)
        raise ContactImportError(str(exc)) from None
    try:
        target, created = _resolve_list(client_id, list_id, list_name, filename)
    except ContactImportError:
        path.unlink(missing_ok=True)
        db.session.rollback()
        raise
    imp = ContactImport(
        client_id=client_id,
        user_id=user_id,
        list_id=target.id,
        filename=(filename or "")[:255],
        stored_path=str(path),
        kind=info.kind,
        sheet=info.sheet,
        status=ImportStatus.QUEUED,
        # The sweep of abandoned uploads deletes a list made for the import, never one
        # the person chose.
        options={"created_list": True} if created else {},
    )
    db.session.add(imp)
    db.session.commit()
    return imp


def _client_of(imp: ContactImport) -> Client:
    client = db.session.get(Client, imp.client_id)
    if client is None:  # pragma: no cover - an import is deleted with its client
        raise LookupError(f"client {imp.client_id} of import {imp.id} is gone")
    return client


def _get(import_id: int) -> ContactImport:
    imp = db.session.get(ContactImport, import_id)
    if imp is None:
        raise ContactImportError(gettext("Importação não encontrada."))
    return imp


def _preview(imp: ContactImport) -> tuple[reader.SheetInfo, list[str], list[list[str]]]:
    try:
        return reader.preview(imp.stored_path, sheet=imp.sheet, rows=PREVIEW_ROWS)
    except reader.UnsupportedFile as exc:
        raise ContactImportError(str(exc)) from None
    except FileNotFoundError:
        raise ContactImportError(
            gettext("O arquivo desta importação não está mais disponível.")
        ) from None


def choose_sheet(import_id: int, sheet: str) -> ContactImport:
    """Switch an .xlsx import to another worksheet (before it starts)."""
    imp = _get(import_id)
    if imp.kind != "xlsx" or imp.status != ImportStatus.QUEUED or imp.rows:
        raise ContactImportError(
            gettext("Só é possível trocar a aba antes de iniciar a importação.")
        )
    try:
        info = reader.inspect(imp.stored_path, sheet=sheet)
    except reader.UnsupportedFile as exc:
        raise ContactImportError(str(exc)) from None
    imp.sheet = info.sheet
    imp.mapping = {}
    db.session.commit()
    return imp


def preview_import(import_id: int) -> tuple[list[str], list[list[str]], list[str], dict]:
    """(header, first rows, sheet names, suggested mapping) for the mapping screen.

    The suggestion is, in order: the mapping already set on this import, the client's
    remembered mapping when the headers match, or a guess from the header words.
    """
    imp = _get(import_id)
    info, header, rows = _preview(imp)
    if not header:
        raise ContactImportError(gettext("A planilha não tem cabeçalho nem linhas."))
    suggested = None
    if imp.mapping.get("phone") is not None:
        suggested = {
            **imp.mapping,
            "mobile_only": bool(imp.options.get("mobile_only")),
            "update_existing": bool(imp.options.get("update_existing")),
        }
    if suggested is None:
        client = _client_of(imp)
        suggested = apply_remembered((client.settings or {}).get(SETTINGS_KEY), header)
    if suggested is None:
        suggested = {**guess_mapping(header), "mobile_only": False}
    return header, rows, info.sheet_names, suggested


def set_mapping(import_id: int, mapping: dict, options: dict | None = None) -> ContactImport:
    """Validate and store the mapping (and remember it for the client by header names)."""
    imp = _get(import_id)
    if imp.status != ImportStatus.QUEUED or imp.rows:
        raise ContactImportError(
            gettext("Esta importação já começou; o mapeamento não pode mudar.")
        )
    _, header, _ = _preview(imp)
    try:
        parsed = parse_mapping(mapping, len(header))
    except ValueError as exc:
        raise ContactImportError(str(exc)) from None
    given = options or {}
    options = {
        "mobile_only": bool(given.get("mobile_only")),
        "update_existing": bool(given.get("update_existing")),
    }
    imp.mapping = {**parsed.as_json(), "header": header}
    imp.options = {**(imp.options or {}), **options}
    client = _client_of(imp)
    settings = dict(client.settings or {})
    settings[SETTINGS_KEY] = remembered_to_json(parsed, header, options)
    client.settings = settings
    db.session.commit()
    return imp


def start_import(import_id: int):
    """Queue the import job (idempotent while it waits)."""
    imp = _get(import_id)
    if imp.mapping.get("phone") is None:
        raise ContactImportError(gettext("Defina o mapeamento das colunas antes de iniciar."))
    if imp.status == ImportStatus.DONE:
        raise ContactImportError(gettext("Esta importação já terminou."))
    if imp.status == ImportStatus.FAILED:
        imp.status = ImportStatus.QUEUED
        imp.error = None
    # Started: the sweep of never-started uploads leaves this file alone from now on.
    imp.options = {**(imp.options or {}), "queued_at": utcnow().isoformat()}
    db.session.commit()
    return enqueue(
        "imports.run_import_job",
        imp.id,
        queue=QUEUE_IMPORTS,
        job_id=f"contact-import-{imp.id}",
        # A million rows take about a minute; a busy database can make it many more.
        job_timeout=int(current_app.config["IMPORT_JOB_TIMEOUT"]),
    )


def resume_import(import_id: int):
    """Re-queue a failed import, or a running one whose worker died (see ``is_stalled``).

    The job resumes after ``checkpoint_row``: committed batches are not written again.
    """
    imp = _get(import_id)
    if not (imp.status == ImportStatus.FAILED or is_stalled(imp)):
        raise ContactImportError(gettext("Esta importação não está parada."))
    imp.status = ImportStatus.FAILED
    db.session.commit()
    return start_import(import_id)


# --------------------------------------------------------------------------- the job


def _progress(imp: ContactImport) -> None:
    events.send_safely(
        events.import_progress, client_id=imp.client_id, import_id=imp.id, status=imp.status
    )


def run_import(import_id: int, *, batch_size: int | None = None) -> ContactImport | None:
    """The job body. Resumable: rows up to ``checkpoint_row`` were committed already."""
    imp = db.session.get(ContactImport, import_id)
    if imp is None or imp.status == ImportStatus.DONE:
        return imp
    batch_size = batch_size or int(current_app.config["IMPORT_BATCH_SIZE"])
    try:
        mapping = parse_mapping(imp.mapping, len(imp.mapping.get("header") or []))
        info = reader.inspect(imp.stored_path, sheet=imp.sheet)
        if imp.rows_total is None:
            imp.rows_total = reader.count_rows(imp.stored_path, info=info)
        imp.status = ImportStatus.RUNNING
        imp.started_at = imp.started_at or utcnow()
        imp.error = None
        db.session.commit()
        _progress(imp)
        counters = Counters.of(imp)
        if imp.list_id is None:  # the list was deleted after the upload
            raise ContactImportError(gettext("A lista desta importação foi excluída."))
        options = imp.options or {}
        writer = make_writer(
            imp.client_id,
            imp.list_id,
            imp.id,
            update_existing=bool(options.get("update_existing")),
            campaign_id=options.get("campaign_id"),
        )
        batches = read_batches(
            reader.iter_rows(imp.stored_path, info=info),
            mapping,
            mobile_only=bool(imp.options.get("mobile_only")),
            after_line=imp.checkpoint_row,
            batch_size=batch_size,
            prepare=writer.prepare,
        )
        if current_app.config["IMPORT_PREFETCH"]:
            batches = prefetch(batches)
        for batch in batches:
            writer.write(batch, counters)
            _progress(imp)
        imp.status = ImportStatus.DONE
        imp.finished_at = utcnow()
        if imp.rows_total is not None and imp.rows_total != imp.rows:
            imp.rows_total = imp.rows  # the line count was an estimate
        db.session.commit()
        delete_upload(imp)  # every row is in the database now (rejections included)
    except Exception as exc:
        db.session.rollback()
        _fail(import_id, exc)
        raise
    _progress(imp)
    return imp


def _fail(import_id: int, exc: Exception) -> None:
    if isinstance(exc, reader.UnsupportedFile | ContactImportError | ValueError):
        message = str(exc)
    elif isinstance(exc, FileNotFoundError):
        message = "O arquivo desta importação não está mais disponível."
    else:
        log.exception("contact import %s failed", import_id)
        message = "Falha inesperada. As linhas já gravadas foram mantidas; tente retomar."
    imp = db.session.get(ContactImport, import_id)
    if imp is None:
        return
    imp.status = ImportStatus.FAILED
    imp.error = message[:2000]
    db.session.commit()
    _progress(imp)


def is_stalled(imp: ContactImport, now: datetime | None = None, seconds: int = 120) -> bool:
    """A RUNNING import whose last commit is old: its worker probably died."""
    now = now or utcnow()
    return imp.status == ImportStatus.RUNNING and (now - imp.updated_at).total_seconds() > seconds


def recent_imports(client_id: int, limit: int = 30) -> list[tuple[ContactImport, str | None]]:
    """The client's latest imports with their list's name, newest first."""
    stmt = (
        sa.select(ContactImport, ContactList.name)
        .outerjoin(ContactList, ContactList.id == ContactImport.list_id)
        .where(ContactImport.client_id == client_id)
        .order_by(ContactImport.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in db.session.execute(stmt)]


def progress_json(imp: ContactImport) -> dict:
    total = imp.rows_total or 0
    percent = (
        100
        if imp.status == ImportStatus.DONE
        else (min(99, imp.rows * 100 // total) if total else 0)
    )
    return {
        "id": imp.id,
        "status": imp.status,
        "rows": imp.rows,
        "rows_total": imp.rows_total,
        "imported": imp.imported,
        "updated": imp.updated,
        "duplicates": imp.duplicates,
        "rejected": imp.rejected,
        "merged": imp.merged or 0,
        "percent": percent,
        "error": imp.error,
        "stalled": is_stalled(imp),
    }


__all__ = [
    "ContactImportError",
    "delete_upload",
    "upload_dir",
    "choose_sheet",
    "create_import",
    "preview_import",
    "progress_json",
    "rejected_rows_csv",
    "resume_import",
    "run_import",
    "set_mapping",
    "start_import",
]
