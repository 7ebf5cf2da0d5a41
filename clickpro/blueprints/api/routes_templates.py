"""/api/v1 templates and credentials (``services.templates``, ``services.credentials``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.blueprints.api.auth import ApiError, Caller
from clickpro.blueprints.api.registry import id_desc_page, not_found, operation
from clickpro.blueprints.api.schemas import (
    OpenAICredentialsIn,
    OpenAICredentialsOut,
    SyncOut,
    TemplateIn,
    TemplateOut,
    TemplatePage,
    TemplateQuery,
    WhatsAppCredentialsIn,
    WhatsAppCredentialsOut,
)
from clickpro.extensions import db
from clickpro.models import Template
from clickpro.services import credentials
from clickpro.services.templates import service as template_service
from clickpro.services.templates.rules import ButtonDraft, TemplateDraft
from clickpro.services.templates.wabas import default_waba_id, waba_clause
from clickpro.tenancy import get_owned

T = "templates"
TC = "credentials"


def template_out(row: Template, default_waba: str | None = None) -> TemplateOut:
    """``default_waba``: the first number's WABA, shown for rows stored before templates
    carried one."""
    return TemplateOut(
        id=row.id,
        waba_id=row.waba_id or default_waba or "",
        name=row.name,
        language=row.language,
        category=row.category,
        status=row.status,
        components=list(row.components or []),
        rejected_reason=row.rejected_reason,
        meta_template_id=row.meta_template_id,
        quality_score=row.quality_score,
        send_ttl_seconds=row.send_ttl_seconds,
        last_synced_at=row.last_synced_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@operation("/templates", "GET", summary="List message templates", tag=T, query=TemplateQuery,
           response=TemplatePage, errors=(422,))  # fmt: skip
def list_templates(caller: Caller, query: TemplateQuery):
    stmt = sa.select(Template).where(Template.client_id == caller.client_id)
    default = default_waba_id(caller.client_id)
    if query.status:
        stmt = stmt.where(Template.status == query.status.upper())
    if query.waba_id:
        stmt = stmt.where(waba_clause(query.waba_id.strip(), default))
    rows, next_cursor = id_desc_page(Template, stmt, query.cursor, query.limit)
    return TemplatePage(data=[template_out(r, default) for r in rows], next_cursor=next_cursor)


@operation("/templates", "POST", summary="Submit a new template to Meta", tag=T,
           body=TemplateIn, response=TemplateOut, status=201,
           errors=(400, 409, 415, 422), idempotent=True)  # fmt: skip
def create_template(caller: Caller, body: TemplateIn):
    """Validated exactly like the template form, then submitted (status PENDING) to
    ``waba_id`` (default: the first number's WABA; not one of the client's: 422)."""
    data = body.model_dump()
    buttons = [ButtonDraft(**b) for b in data.pop("buttons")]
    waba_id = data.pop("waba_id")
    draft = TemplateDraft(**data, buttons=buttons)
    try:
        row = template_service.create_template(caller.client, draft, waba_id=waba_id)
    except template_service.TemplateError:  # 422 meta_refused / validation_error
        db.session.rollback()
        raise
    return template_out(row), 201


@operation("/templates/<int:template_id>", "GET", summary="Get a template", tag=T,
           response=TemplateOut, errors=(404,))  # fmt: skip
def get_template(caller: Caller, template_id: int):
    row = get_owned(Template, template_id, caller.client_id)
    if row is None:
        raise not_found(_("Modelo"))
    return template_out(row, default_waba_id(caller.client_id))


@operation("/templates/sync", "POST", summary="Pull templates from Meta now", tag=T,
           response=SyncOut)  # fmt: skip
def sync_templates(caller: Caller):
    """Every WABA of the client's numbers; includes templates created outside ClickPro
    (in Meta's manager)."""
    result = template_service.sync_templates(caller.client_id)
    return SyncOut(**result.as_dict())


# --------------------------------------------------------------------------- credentials


def _credential_error(exc: credentials.CredentialError) -> ApiError:
    if isinstance(exc, credentials.ServiceUnreachable):
        return ApiError(502, "upstream_unreachable", exc.message)
    details = {exc.field or "credentials": [exc.message]}
    return ApiError(422, "validation_error", exc.message, details)


def whatsapp_out(client_id: int) -> WhatsAppCredentialsOut:
    c = credentials.get_whatsapp_credential(client_id)
    return WhatsAppCredentialsOut(
        id=c.id if c else None,
        configured=c is not None,
        display_name=c.display_name if c else None,
        status=c.status if c else None,
        token_last4=c.token_last4 if c else None,
        app_secret_set=bool(c and c.app_secret_enc),
        waba_id=c.waba_id if c else None,
        phone_number_id=c.phone_number_id if c else None,
        app_id=c.app_id if c else None,
        display_phone_number=c.display_phone_number if c else None,
        verified_name=c.verified_name if c else None,
        quality_rating=c.quality_rating if c else None,
        throughput_mps=c.throughput_mps if c else None,
        messaging_tier=c.messaging_tier if c else None,
        validated_at=c.validated_at if c else None,
        last_error=c.last_error if c else None,
    )


@operation("/whatsapp-credentials", "GET", summary="The first number's credential (last 4 only)",
           tag=TC, response=WhatsAppCredentialsOut)  # fmt: skip
def get_whatsapp_credentials(caller: Caller):
    return whatsapp_out(caller.client_id)


@operation("/whatsapp-credentials", "PUT", summary="Validate live with Meta, then store",
           tag=TC, body=WhatsAppCredentialsIn, response=WhatsAppCredentialsOut,
           errors=(400, 415, 422, 502))  # fmt: skip
def put_whatsapp_credentials(caller: Caller, body: WhatsAppCredentialsIn):
    try:
        credentials.save_whatsapp_credentials(caller.client, body.model_dump())
    except credentials.CredentialError as exc:
        db.session.rollback()
        raise _credential_error(exc) from None
    return whatsapp_out(caller.client_id)


def openai_out(caller: Caller) -> OpenAICredentialsOut:
    c = credentials.get_openai_credential(caller.client_id)
    db.session.refresh(caller.client)
    return OpenAICredentialsOut(
        id=c.id if c else None,
        configured=c is not None,
        status=c.status if c else None,
        key_last4=c.key_last4 if c else None,
        model=c.model if c else None,
        instructions=c.instructions if c else None,
        ai_enabled=bool(caller.client.ai_enabled),
        context_messages=c.context_messages if c else None,
        temperature=c.temperature if c else None,
        handoff_keywords=[str(k) for k in (c.handoff_keywords or [])] if c else [],
        validated_at=c.validated_at if c else None,
        last_error=c.last_error if c else None,
    )


@operation("/openai-credentials", "GET", summary="OpenAI credential and assistant settings",
           tag=TC, response=OpenAICredentialsOut)  # fmt: skip
def get_openai_credentials(caller: Caller):
    return openai_out(caller)


@operation("/openai-credentials", "PUT", summary="Validate the key live, then store", tag=TC,
           body=OpenAICredentialsIn, response=OpenAICredentialsOut,
           errors=(400, 415, 422, 502))  # fmt: skip
def put_openai_credentials(caller: Caller, body: OpenAICredentialsIn):
    data = body.model_dump(exclude_none=True)
    existing = credentials.get_openai_credential(caller.client_id)
    if existing is not None:  # fields left out keep their stored values, like the form
        data.setdefault("context_messages", existing.context_messages)
        data.setdefault("temperature", existing.temperature)
        data.setdefault("handoff_keywords", list(existing.handoff_keywords or []))
        data.setdefault("max_output_tokens", existing.max_output_tokens)
        data.setdefault("fallback_text", existing.fallback_text)
        for key, value in (existing.options or {}).items():
            if key != "business_hours":
                data.setdefault(key, value)
    try:
        credentials.save_openai_credentials(caller.client, data)
    except credentials.CredentialError as exc:
        db.session.rollback()
        raise _credential_error(exc) from None
    return openai_out(caller)
