"""Where uploaded spreadsheets are kept: ``IMPORT_UPLOAD_DIR`` (default instance/uploads),
one folder per client, random file names (never the user's), size-capped while copying."""

from __future__ import annotations

import secrets
from contextlib import ExitStack, suppress
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import (
    CampaignList,
    ContactImport,
    ContactList,
    ContactListMember,
    ImportStatus,
)
from clickpro.models.base import utcnow
from clickpro.services.contacts.imports.errors import ContactImportError

_COPY_CHUNK = 1 << 20


def upload_dir(client_id: int) -> Path:
    root = current_app.config["IMPORT_UPLOAD_DIR"] or Path(current_app.instance_path) / "uploads"
    path = Path(root) / str(client_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_bytes(client_id: int) -> int:
    """Bytes of this client's uploads still on disk (waiting or being imported)."""
    total = 0
    for path in upload_dir(client_id).glob("*.upload"):
        with suppress(FileNotFoundError):  # deleted meanwhile
            total += path.stat().st_size
    return total


def _quota_error(quota: int) -> ContactImportError:
    return ContactImportError(
        _(
            "Limite de %(megabytes)s MB de arquivos aguardando importação atingido: inicie "
            "ou descarte as importações pendentes.",
            megabytes=format(quota / (1024 * 1024), ".0f"),
        )
    )


def save_upload(client_id: int, stream_or_path, max_bytes: int) -> Path:
    """Copy a path, a file object or a werkzeug ``FileStorage``; refuse past ``max_bytes``
    or past the client's quota of stored uploads (``IMPORT_CLIENT_QUOTA_BYTES``)."""
    quota = int(current_app.config["IMPORT_CLIENT_QUOTA_BYTES"])
    room = quota - stored_bytes(client_id)
    if room <= 0:
        raise _quota_error(quota)
    limit = min(max_bytes, room)
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
            if written > limit:
                too_big = True
                break
            out.write(chunk)
    if too_big:
        target.unlink(missing_ok=True)
        if limit < max_bytes:
            raise _quota_error(quota)
        megabytes = max_bytes / (1024 * 1024)
        raise ContactImportError(
            _("Arquivo maior que o limite de %(megabytes)s MB.", megabytes=format(megabytes, ".0f"))
        )
    return target


def delete_upload(imp: ContactImport) -> None:
    """Remove the stored file (once imported, every row is in the database)."""
    if imp.stored_path:
        Path(imp.stored_path).unlink(missing_ok=True)


def sweep_unstarted(now: datetime | None = None) -> dict:
    """Delete uploads never started after ``IMPORT_UNSTARTED_TTL_H`` hours (periodic job).

    An import that was never queued keeps a file no one will read; it becomes FAILED
    with a reason (the person uploads again). Files with no import row at all (a crash
    between saving and committing) older than the same age go too.
    """
    now = now or utcnow()
    cutoff = now - timedelta(hours=float(current_app.config["IMPORT_UNSTARTED_TTL_H"]))
    candidates = db.session.scalars(
        sa.select(ContactImport).where(
            ContactImport.status == ImportStatus.QUEUED,
            ContactImport.started_at.is_(None),
            ContactImport.created_at < cutoff,
            ContactImport.stored_path != "",
        )
    ).all()
    expired = 0
    for imp in candidates:
        if (imp.options or {}).get("queued_at"):
            continue  # started by the person, waiting for a worker
        delete_upload(imp)
        imp.stored_path = ""
        imp.status = ImportStatus.FAILED
        imp.error = _("O arquivo expirou sem ser importado: envie a planilha de novo.")
        expired += 1
    db.session.commit()
    root = Path(
        current_app.config["IMPORT_UPLOAD_DIR"] or Path(current_app.instance_path) / "uploads"
    )
    old_files = [
        path for path in root.glob("*/*.upload") if path.stat().st_mtime < cutoff.timestamp()
    ]
    known = (
        set(
            db.session.scalars(
                sa.select(ContactImport.stored_path).where(
                    ContactImport.stored_path.in_([str(p) for p in old_files])
                )
            )
        )
        if old_files
        else set()
    )
    orphans = 0
    for path in old_files:
        if str(path) not in known:
            path.unlink(missing_ok=True)
            orphans += 1
    return {"expired": expired, "orphans": orphans, "abandoned": sweep_abandoned(now)}


def sweep_abandoned(now: datetime | None = None) -> int:
    """Delete imports uploaded and never mapped after ``IMPORT_ABANDONED_AFTER_S`` (periodic).

    The person uploaded, saw the mapping screen and left: the import row, its file and the
    list created for it go, so "Importação planilha" lists with no one in them do not pile
    up. A list the person chose, one with members or one a campaign uses is kept.
    Returns how many imports were deleted.
    """
    now = now or utcnow()
    cutoff = now - timedelta(seconds=float(current_app.config["IMPORT_ABANDONED_AFTER_S"]))
    candidates = db.session.scalars(
        sa.select(ContactImport).where(
            ContactImport.status.in_((ImportStatus.QUEUED, ImportStatus.FAILED)),
            ContactImport.started_at.is_(None),
            ContactImport.rows == 0,
            ContactImport.created_at < cutoff,
        )
    ).all()
    deleted = 0
    for imp in candidates:
        options = imp.options or {}
        if options.get("queued_at") or (imp.mapping or {}).get("phone") is not None:
            continue  # started, or mapped: not abandoned at the mapping step
        delete_upload(imp)
        list_id = imp.list_id if options.get("created_list") else None
        db.session.delete(imp)
        db.session.flush()
        if list_id is not None and _list_is_disposable(list_id):
            db.session.execute(sa.delete(ContactList).where(ContactList.id == list_id))
        deleted += 1
    db.session.commit()
    return deleted


def _list_is_disposable(list_id: int) -> bool:
    """Empty, used by no campaign and by no other import."""
    in_use: sa.CompoundSelect = sa.union_all(
        sa.select(ContactListMember.list_id).where(ContactListMember.list_id == list_id),
        sa.select(CampaignList.list_id).where(CampaignList.list_id == list_id),
        sa.select(ContactImport.list_id).where(ContactImport.list_id == list_id),
    )
    return db.session.execute(in_use.limit(1)).first() is None
