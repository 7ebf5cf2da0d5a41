"""/api/v1 opt-outs and spreadsheet imports (``services.optout``, ``contacts_import``)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Response, request, stream_with_context
from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field

from clickpro.blueprints.api.auth import ApiError, Caller
from clickpro.blueprints.api.registry import id_desc_page, invalid, not_found, operation
from clickpro.blueprints.api.schemas import (
    Deleted,
    ImportOut,
    OptOutIn,
    OptOutOut,
    OptOutPage,
    PageQuery,
)
from clickpro.extensions import db
from clickpro.models import ContactImport, OptOut, OptOutSource
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.contacts import optout
from clickpro.services.contacts.bsuids import is_bsuid
from clickpro.services.contacts.imports import service as imports
from clickpro.services.contacts.imports.errors import ContactImportError
from clickpro.services.contacts.phones import InvalidPhone, brazil_variants, normalize_phone
from clickpro.tenancy import get_owned

T = "optouts"
TI = "imports"


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw, "BR")
    except InvalidPhone as exc:
        raise invalid({"phone": [exc.message]}, exc.message) from None


def _find(client_id: int, e164: str | None, bsuid: str | None = None) -> OptOut | None:
    """The opt-out row of a phone (either Brazilian form) or of a BSUID."""
    match = OptOut.bsuid == bsuid if bsuid else OptOut.phone_e164.in_(brazil_variants(e164 or ""))
    return db.session.scalar(sa.select(OptOut).where(OptOut.client_id == client_id, match))


def optout_out(row: OptOut) -> OptOutOut:
    return OptOutOut(
        id=row.id,
        phone=row.phone_e164,
        bsuid=row.bsuid,
        source=row.source,
        reason=row.reason or "",
        created_at=row.created_at,
    )


@operation("/optouts", "GET", summary="List opt-outs (phones and BSUIDs)", tag=T, query=PageQuery,
           response=OptOutPage, errors=(422,))  # fmt: skip
def list_optouts(caller: Caller, query: PageQuery):
    stmt = sa.select(OptOut).where(OptOut.client_id == caller.client_id)
    rows, next_cursor = id_desc_page(OptOut, stmt, query.cursor, query.limit)
    return OptOutPage(data=[optout_out(r) for r in rows], next_cursor=next_cursor)


@operation("/optouts", "POST", summary="Opt a phone or a BSUID out (idempotent)", tag=T,
           body=OptOutIn,
           response=OptOutOut, status=201, errors=(400, 409, 415, 422), idempotent=True,
           extra_statuses={200: OptOutOut})  # fmt: skip
def create_optout(caller: Caller, body: OptOutIn):
    """201 when the phone (or BSUID) was opted out now, 200 when it already was."""
    e164 = _phone(body.phone) if body.phone else None
    created = optout.add_opt_out(
        caller.client_id, e164, OptOutSource.API, body.reason, bsuid=body.bsuid
    )
    row = _find(caller.client_id, e164, body.bsuid)
    if row is None:
        raise not_found("Opt-out")
    return optout_out(row), 201 if created else 200


@operation("/optouts/<phone>", "DELETE", summary="Remove the opt-out of a phone or a BSUID",
           tag=T, response=Deleted, errors=(404, 422))  # fmt: skip
def delete_optout(caller: Caller, phone: str):
    """``phone``: a phone number in any format, or a BSUID (e.g. BR.1502576394655843)."""
    if is_bsuid(phone.strip()):
        bsuid = phone.strip()
        if not optout.remove_opt_out(caller.client_id, None, OptOutSource.API, bsuid=bsuid):
            raise not_found("Opt-out")
        return Deleted(id=bsuid)
    e164 = _phone(phone)
    if not optout.remove_opt_out(caller.client_id, e164, OptOutSource.API):
        raise not_found("Opt-out")
    return Deleted(id=e164)


# --------------------------------------------------------------------------- imports


class ImportForm(BaseModel):
    """multipart/form-data fields of ``POST /imports``."""

    model_config = ConfigDict(extra="forbid")

    file: bytes = Field(description=".csv or .xlsx; the first row is the header.")
    list_name: str | None = Field(default=None, max_length=120)
    list_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    mapping: str | None = Field(
        default=None,
        description='JSON {"phone": col, "bsuid": col, "name": col, "attributes": {col: key}} '
        "(0-based; phone or bsuid required, each row needs a phone or a valid BSUID); "
        "absent: guessed from the header, as the import screen does.",
    )
    mobile_only: bool = False
    update_existing: bool = Field(
        default=False,
        description="replace the name and attributes of contacts that already exist with the "
        "sheet's non-empty cells (default: keep them, fill only what is empty)",
    )


def import_out(imp: ContactImport) -> ImportOut:
    return ImportOut(
        id=imp.id,
        status=imp.status,
        list_id=imp.list_id,
        filename=imp.filename,
        rows=imp.rows,
        rows_total=imp.rows_total,
        imported=imp.imported,
        updated=imp.updated,
        duplicates=imp.duplicates,
        rejected=imp.rejected,
        merged=imp.merged or 0,
        error=imp.error,
        created_at=imp.created_at,
        finished_at=imp.finished_at,
    )


def _form_int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > 2**31 - 1:
        raise invalid({name: [gettext("Informe um número inteiro.")]})
    return int(raw)


def _mapping(import_id: int) -> tuple[dict, dict]:
    raw = request.form.get("mapping")
    options = {"mobile_only": (request.form.get("mobile_only") or "").lower() in ("1", "true")}
    update = (request.form.get("update_existing") or "").lower() in ("1", "true")
    options["update_existing"] = update
    if raw:
        try:
            mapping = json.loads(raw)
        except ValueError:
            raise invalid({"mapping": [gettext("JSON inválido.")]}) from None
        return mapping, options
    _, _, _, suggested = imports.preview_import(import_id)
    suggested = dict(suggested)
    options["mobile_only"] = options["mobile_only"] or bool(suggested.pop("mobile_only", False))
    suggested.pop("update_existing", None)  # never remembered: the person chooses each time
    return suggested, options


@operation("/imports", "POST", summary="Upload a spreadsheet and import it into a list",
           tag=TI, multipart=ImportForm, response=ImportOut, status=202,
           errors=(400, 409, 413, 415, 422), idempotent=True)  # fmt: skip
def create_import(caller: Caller):
    """Same import service as the panel; the job runs on the imports queue."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        if not request.mimetype.startswith("multipart/"):
            raise ApiError(415, "unsupported_media_type", "Envie multipart/form-data.")
        raise invalid({"file": [gettext("Envie a planilha no campo file.")]})
    list_id = _form_int("list_id")
    try:
        imp = imports.create_import(
            caller.client_id,
            None,
            stream_or_path=upload.stream,
            filename=upload.filename,
            list_id=list_id,
            list_name=(request.form.get("list_name") or "").strip()[:120] or None,
        )
        mapping, options = _mapping(imp.id)
        imports.set_mapping(imp.id, mapping, options)
        imports.start_import(imp.id)
    except ContactImportError as exc:
        db.session.rollback()
        raise invalid({"file": [str(exc)]}, str(exc)) from None
    db.session.expire_all()
    return import_out(imp), 202  # expired above: its attributes reload from the database


def _owned_import(caller: Caller, import_id: int) -> ContactImport:
    imp = get_owned(ContactImport, import_id, caller.client_id)
    if imp is None:
        raise not_found(message=gettext("Importação não encontrada."))
    return imp


@operation("/imports/<int:import_id>", "GET", summary="Import status and counters", tag=TI,
           response=ImportOut, errors=(404,))  # fmt: skip
def get_import(caller: Caller, import_id: int):
    return import_out(_owned_import(caller, import_id))


@operation("/imports/<int:import_id>/rejected.csv", "GET", summary="Rejected rows (CSV)",
           tag=TI, produces="text/csv", errors=(404,))  # fmt: skip
def rejected_csv(caller: Caller, import_id: int):
    imp = _owned_import(caller, import_id)
    lines = imports.rejected_rows_csv(imp.id)
    audit_record(Action.EXPORT_DOWNLOADED, imp, export="import_rejected_csv")
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="rejeitadas-{imp.id}.csv"'
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return response
