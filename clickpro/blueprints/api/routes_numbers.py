"""/api/v1/whatsapp-numbers: the client's WhatsApp numbers (``services.credentials``).

The id in the path is ClickPro's id of the number (``id`` in the answers), not Meta's
phone number id. Creating or changing a token runs the same live test as the panel's
form; Meta's refusal is a 422 with Meta's message and nothing stored. DELETE archives.
"""

from __future__ import annotations

from flask_babel import gettext as _

from clickpro.blueprints.api.auth import Caller
from clickpro.blueprints.api.registry import not_found, operation
from clickpro.blueprints.api.schemas_numbers import (
    NumberAISettings,
    WhatsAppNumberIn,
    WhatsAppNumberList,
    WhatsAppNumberOut,
    WhatsAppNumberPatch,
    WhatsAppNumberQuery,
)
from clickpro.models import WhatsAppCredential
from clickpro.services import credentials
from clickpro.services.conversations import first_number

T = "whatsapp numbers"
AI_FIELDS = ("ai_settings",)


def number_out(row: WhatsAppCredential, first_id: int | None) -> WhatsAppNumberOut:
    return WhatsAppNumberOut(
        id=row.id,
        phone_number_id=row.phone_number_id,
        waba_id=row.waba_id,
        display_name=row.display_name,
        display_phone_number=row.display_phone_number,
        verified_name=row.verified_name,
        quality_rating=row.quality_rating,
        messaging_tier=row.messaging_tier,
        throughput_mps=row.throughput_mps,
        status=row.status,
        first=row.id == first_id,
        archived=row.archived_at is not None,
        archived_at=row.archived_at,
        token_last4=row.token_last4 or None,
        app_id=row.app_id,
        app_secret_set=bool(row.app_secret_enc),
        verify_token_set=bool(row.verify_token_sha256),
        ai_settings=NumberAISettings(**row.ai_settings) if row.ai_settings else None,
        validated_at=row.validated_at,
        last_error=row.last_error,
        created_at=row.created_at,
    )


def _out(caller: Caller, row: WhatsAppCredential) -> WhatsAppNumberOut:
    first = first_number(caller.client_id)
    return number_out(row, first.id if first else None)


def _owned(caller: Caller, number_id: int) -> WhatsAppCredential:
    try:
        return credentials.require_number(caller.client_id, number_id)
    except credentials.NumberNotFound:
        raise not_found(_("Número")) from None


@operation("/whatsapp-numbers", "GET", summary="List the client's WhatsApp numbers", tag=T,
           query=WhatsAppNumberQuery, response=WhatsAppNumberList, errors=(422,))  # fmt: skip
def list_numbers(caller: Caller, query: WhatsAppNumberQuery):
    """First number first (the default for sends that do not name a number)."""
    rows = credentials.list_numbers(caller.client_id, include_archived=query.include_archived)
    first = first_number(caller.client_id)
    return WhatsAppNumberList(data=[number_out(r, first.id if first else None) for r in rows])


@operation("/whatsapp-numbers", "POST", summary="Add a number (validated live with Meta)",
           tag=T, body=WhatsAppNumberIn, response=WhatsAppNumberOut, status=201,
           errors=(409, 415, 422, 502), idempotent=True)  # fmt: skip
def create_number(caller: Caller, body: WhatsAppNumberIn):
    """Meta's ``GET /{waba_id}/phone_numbers`` must accept the token and list the number;
    a refusal is a 422 with Meta's message and nothing is stored. A number the client
    removed before is restored (same id, its history comes back)."""
    data = body.model_dump(exclude={"ai_settings"})
    ai = body.ai_settings.model_dump(exclude_none=True) if body.ai_settings else {}
    settings = credentials.prepare_ai_settings(caller.client_id, ai) if ai else None
    row = credentials.add_number(caller.client, data, ai_settings=settings)
    return _out(caller, row), 201


@operation("/whatsapp-numbers/<int:number_id>", "GET", summary="Get a number", tag=T,
           response=WhatsAppNumberOut, errors=(404,))  # fmt: skip
def get_number(caller: Caller, number_id: int):
    return _out(caller, _owned(caller, number_id))


@operation("/whatsapp-numbers/<int:number_id>", "PATCH",
           summary="Change a number's name, secrets or assistant settings", tag=T,
           body=WhatsAppNumberPatch, response=WhatsAppNumberOut,
           errors=(404, 415, 422, 502))  # fmt: skip
def patch_number(caller: Caller, number_id: int, body: WhatsAppNumberPatch):
    """A new ``access_token`` is tested live first. ``ai_settings`` replaces the number's
    assistant settings (``null``: back to the client's). A removed number answers 422."""
    row = _owned(caller, number_id)
    sent = body.model_fields_set
    settings = None
    if "ai_settings" in sent and body.ai_settings is not None:
        ai = body.ai_settings.model_dump(exclude_none=True)
        settings = credentials.prepare_ai_settings(caller.client_id, ai, row.ai_settings)
    data = {k: v for k, v in body.model_dump().items() if k in sent and k not in AI_FIELDS}
    if data or "ai_settings" not in sent:
        row = credentials.update_number(caller.client, row.id, data)
    if "ai_settings" in sent:
        row = credentials.store_ai_settings(caller.client, row, settings)
    return _out(caller, row)


@operation("/whatsapp-numbers/<int:number_id>", "DELETE",
           summary="Remove a number (archived: secrets wiped, history kept)", tag=T,
           status=204, errors=(404,))  # fmt: skip
def delete_number(caller: Caller, number_id: int):
    """The number stops receiving (its webhooks are no longer routed) and sending; its
    conversations and messages stay. Adding it again restores it."""
    credentials.archive_number(caller.client, _owned(caller, number_id).id)
    return None
