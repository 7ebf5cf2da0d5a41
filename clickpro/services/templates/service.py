"""Message templates of a client: create (validated locally first), delete, duplicate, sync.

Rules of a template's shape live in ``template_rules``; this module adds what needs the
database or Meta: the duplicate name+language check, the media header upload, the
submission, and the sync with Meta's list (``sync_templates``, in ``template_sync``).
Every status change goes through ``template_status.apply_template_update`` so the
webhook and the sync share one path (notification + ``template_status_changed``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from clickpro.errors import ServiceError
from clickpro.extensions import db, rowcount
from clickpro.integrations.meta import GraphError
from clickpro.models import Client, Notification, Template, TemplateStatus
from clickpro.models.base import utcnow
from clickpro.services.credentials import NoCredentials
from clickpro.services.templates.rules import (
    TemplateDraft,
    build_components,
    draft_from_components,
    validate_draft,
    validate_header_media,
)
from clickpro.services.templates.sync import SyncResult, sync_templates
from clickpro.services.templates.wabas import (
    client_wabas,
    default_waba_id,
    graph_for_waba,
    template_waba_id,
    waba_clause,
)

__all__ = [
    "HeaderFile",
    "SyncResult",
    "TemplateError",
    "check_draft",
    "create_template",
    "delete_template",
    "duplicate",
    "status_history",
    "sync_templates",
]

log = logging.getLogger(__name__)

MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
# Placeholder so validate_draft accepts a media header whose file is uploaded afterwards.
_PENDING_HANDLE = "pending-upload"


@dataclass(frozen=True)
class HeaderFile:
    """An uploaded header file, already read (the view reads the request stream)."""

    filename: str
    content: bytes


class TemplateError(ServiceError):
    """The draft cannot be submitted: field → messages; ``meta`` when Meta refused it."""

    def __init__(self, errors: dict[str, list[str]], meta: GraphError | None = None) -> None:
        message = "; ".join(m for messages in errors.values() for m in messages)
        super().__init__(
            message,
            code="meta_refused" if meta is not None else "validation_error",
            field=next(iter(errors), None),
            details=errors,
        )
        self.errors = errors
        self.meta = meta


def graph_error_text(error: GraphError) -> str:
    """Meta's own words for the form: title/message plus ``error_data.details``."""
    parts = [error.message or error.title]
    if error.details and error.details not in parts[0]:
        parts.append(error.details)
    return " — ".join(p for p in parts if p)


# --------------------------------------------------------------------------- local checks


def find_template(
    client_id: int, name: str, language: str, waba_id: str | None = None
) -> Template | None:
    """The client's template ``name``/``language`` in ``waba_id`` (None: the first
    number's WABA)."""
    default = default_waba_id(client_id)
    waba = waba_id or default or ""
    stmt = sa.select(Template).where(
        Template.client_id == client_id,
        Template.name == name,
        Template.language == language,
        waba_clause(waba, default),
    )
    return db.session.scalars(stmt.order_by(Template.id)).first()


def resolve_waba(client_id: int, waba_id: str | None) -> str:
    """The WABA a new template goes to: ``waba_id`` if it is one of the client's, the first
    number's when empty ("" when the client has no number: the submission then says so).
    Raises ``TemplateError`` on a ``waba_id`` that is not the client's."""
    wabas = [w.waba_id for w in client_wabas(client_id)]
    wanted = (waba_id or "").strip()
    if not wanted:
        return wabas[0] if wabas else ""
    if wanted not in wabas:
        raise TemplateError(
            {
                "waba_id": [
                    _("Conta do WhatsApp (WABA) não encontrada entre os números deste cliente.")
                ]
            }
        )
    return wanted


def check_draft(
    client_id: int,
    draft: TemplateDraft,
    header_file: HeaderFile | None = None,
    waba_id: str | None = None,
) -> tuple[dict[str, list[str]], str | None]:
    """Every check that does not need Meta: (errors, sniffed MIME type of the header file).

    Nothing here talks to Meta, so a draft with errors never costs a Graph call. The
    duplicate check is within ``waba_id`` (None: the first number's WABA).
    """
    errors: dict[str, list[str]] = {}
    mime: str | None = None
    fmt = (draft.header_format or "NONE").upper()
    checked = draft
    if fmt in MEDIA_FORMATS:
        if header_file is not None and header_file.content:
            try:
                mime = validate_header_media(header_file.content, fmt)
            except ValueError as exc:
                errors.setdefault("header_handle", []).append(str(exc))
            checked = replace(draft, header_handle=_PENDING_HANDLE)
        elif header_file is not None:
            errors.setdefault("header_handle", []).append(_("O arquivo enviado está vazio."))
            checked = replace(draft, header_handle=_PENDING_HANDLE)
    for key, messages in validate_draft(checked).items():
        errors.setdefault(key, []).extend(messages)
    if (
        draft.name
        and draft.language
        and find_template(client_id, draft.name, draft.language, waba_id)
    ):
        errors.setdefault("name", []).append(
            _(
                "Já existe um modelo “%(name)s” em %(language)s nesta conta do WhatsApp. "
                "Escolha outro nome ou outro idioma.",
                name=draft.name,
                language=draft.language,
            )
        )
    return errors, mime


# --------------------------------------------------------------------------- create


def create_template(
    client: Client,
    draft: TemplateDraft,
    header_file: HeaderFile | None = None,
    *,
    user_id: int | None = None,
    waba_id: str | None = None,
) -> Template:
    """Validate locally, upload the media header, submit to Meta, store the PENDING row.

    ``waba_id``: the client's WABA the template is submitted to (None: the first
    number's). Raises ``TemplateError`` (pt_BR messages per field, ``meta`` set when Meta
    refused).
    """
    waba = resolve_waba(client.id, waba_id)
    errors, mime = check_draft(client.id, draft, header_file, waba)
    if errors:
        raise TemplateError(errors)
    try:
        credential, graph = graph_for_waba(client.id, waba)
    except NoCredentials:
        raise TemplateError(
            {"meta": [_("Cadastre e valide as credenciais do WhatsApp antes de criar modelos.")]}
        ) from None
    draft = replace(draft)
    try:
        if header_file is not None and mime is not None:
            if not credential.app_id:
                raise TemplateError(
                    {"header_handle": [_("Informe o App ID nas credenciais para enviar mídia.")]}
                )
            draft.header_handle = graph.upload_header_media(
                credential.app_id, header_file.filename or "header", header_file.content, mime
            )
        components = build_components(draft)
        payload: dict[str, object] = {
            "name": draft.name,
            "language": draft.language,
            "category": draft.category,
            "components": components,
        }
        if draft.send_ttl_seconds is not None:
            payload["message_send_ttl_seconds"] = draft.send_ttl_seconds
        response = graph.create_template(waba, payload)
    except GraphError as exc:
        log.info("meta refused template %s for client %s: %r", draft.name, client.id, exc)
        raise TemplateError({"meta": [graph_error_text(exc)]}, meta=exc) from None
    return _store_created(client.id, waba, draft, components, response, user_id)


def _store_created(
    client_id: int,
    waba_id: str,
    draft: TemplateDraft,
    components: list,
    response: dict,
    user_id: int | None,
) -> Template:
    template = Template(
        client_id=client_id,
        waba_id=waba_id,
        name=draft.name,
        language=draft.language,
        category=str(response.get("category") or draft.category),
        components=components,
        send_ttl_seconds=draft.send_ttl_seconds,
        status=str(response.get("status") or TemplateStatus.PENDING),
        meta_template_id=str(response.get("id") or "") or None,
        submitted_by_id=user_id,
        last_synced_at=utcnow(),
    )
    db.session.add(template)
    try:
        db.session.commit()
    except IntegrityError:
        # The sync (or a second tab) stored it meanwhile: keep that row, refresh its data.
        db.session.rollback()
        stored = find_template(client_id, draft.name, draft.language, waba_id)
        if stored is None:  # pragma: no cover - the constraint said it exists
            raise
        template = stored
        template.waba_id = waba_id
        template.meta_template_id = template.meta_template_id or str(response.get("id") or "")
        template.components = components
        template.send_ttl_seconds = draft.send_ttl_seconds
        db.session.commit()
    log.info("template %s/%s submitted for client %s", draft.name, draft.language, client_id)
    return template


# --------------------------------------------------------------------------- delete / duplicate


def _same_name(template: Template) -> list[sa.ColumnElement[bool]]:
    """``template``'s name in its own WABA (the same name on another WABA is another one)."""
    default = default_waba_id(template.client_id)
    waba = template_waba_id(template, default) or ""
    return [
        Template.client_id == template.client_id,
        Template.name == template.name,
        waba_clause(waba, default),
    ]


def same_name_templates(template: Template) -> list[Template]:
    """Every language of ``template``'s name in its WABA (Meta deletes them together)."""
    stmt = sa.select(Template).where(*_same_name(template)).order_by(Template.language)
    return list(db.session.scalars(stmt))


def delete_template(client: Client, template: Template) -> int:
    """Delete ``template``'s name on Meta (every language), then the local rows.

    A name Meta no longer knows is removed locally anyway. Returns the rows removed.
    Raises ``TemplateError`` when Meta refuses (the local rows are kept).
    """
    if template.client_id != client.id:
        raise TemplateError({"meta": [_("Modelo não encontrado.")]})
    name = template.name
    waba = template_waba_id(template, default_waba_id(client.id)) or ""
    same_name = _same_name(template)
    if template.meta_template_id:
        try:
            _credential, graph = graph_for_waba(client.id, waba)
            graph.delete_template(waba, name)
        except NoCredentials:
            raise TemplateError(
                {"meta": [_("Sem credenciais do WhatsApp: não é possível excluir na Meta.")]}
            ) from None
        except GraphError as exc:
            if not _is_not_found(exc):
                raise TemplateError({"meta": [graph_error_text(exc)]}, meta=exc) from None
    result = db.session.execute(sa.delete(Template).where(*same_name))
    db.session.commit()
    log.info("template %s deleted for client %s (%s rows)", name, client.id, rowcount(result))
    return rowcount(result) or 0


def _is_not_found(error: GraphError) -> bool:
    return error.status_code == 404 or (
        error.code == 100 and "not found" in f"{error.message} {error.details}".lower()
    )


def status_history(template: Template, limit: int = 50) -> list[Notification]:
    """The template's status changes, read from the notifications they created.

    ``template_status`` notifications are one per admin, written in one loop: consecutive
    copies with the same text are one event.
    """
    stmt = (
        sa.select(Notification)
        .where(
            Notification.client_id == template.client_id,
            Notification.kind == "template_status",
            Notification.template_id == template.id,
        )
        .order_by(Notification.id)
        .limit(limit * 10)
    )
    events: list[Notification] = []
    for note in db.session.scalars(stmt):
        if events and events[-1].text == note.text:
            continue
        events.append(note)
    return events[-limit:][::-1]


def duplicate(template: Template) -> TemplateDraft:
    """A new draft prefilled from ``template`` (new name; media must be uploaded again)."""
    draft = draft_from_components(
        template.name, template.language, template.category, template.components or []
    )
    draft.name = f"{template.name}_copia"[:512]
    draft.send_ttl_seconds = template.send_ttl_seconds
    draft.header_handle = ""  # a listed template's handle is a media URL, not reusable
    return draft
