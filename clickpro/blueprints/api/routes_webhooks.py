"""/api/v1 outbound webhook endpoints and their deliveries (``services.outbound_webhooks``)."""

from __future__ import annotations

from clickpro.blueprints.api.auth import Caller
from clickpro.blueprints.api.registry import int_cursor, not_found, operation
from clickpro.blueprints.api.schemas import Deleted, PageQuery
from clickpro.blueprints.api.schemas_messaging import (
    DeliveryOut,
    DeliveryPage,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPage,
    WebhookPatch,
)
from clickpro.models import WebhookDelivery, WebhookEndpoint
from clickpro.services.api import outbound_webhooks as hooks
from clickpro.tenancy import get_owned

T = "webhooks"


def webhook_out(row: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(
        id=row.id,
        url=row.url,
        events=list(row.events or []),
        description=row.description or "",
        is_active=row.is_active,
        created_at=row.created_at,
    )


def delivery_out(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event=row.event,
        status=row.status,
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_response=row.last_response,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
    )


def _owned(caller: Caller, webhook_id: int) -> WebhookEndpoint:
    row = get_owned(WebhookEndpoint, webhook_id, caller.client_id)
    if row is None:
        raise not_found("Webhook")
    return row


@operation("/webhooks", "GET", summary="List webhook endpoints", tag=T, query=PageQuery,
           response=WebhookPage, errors=(422,))  # fmt: skip
def list_webhooks(caller: Caller, query: PageQuery):
    cursor = int_cursor(query.cursor)
    rows = [r for r in hooks.endpoints_of(caller.client_id) if cursor is None or r.id > cursor]
    page = rows[: query.limit]
    return WebhookPage(
        data=[webhook_out(r) for r in page],
        next_cursor=str(page[-1].id) if len(rows) > query.limit else None,
    )


@operation("/webhooks", "POST", summary="Register a webhook endpoint (secret shown once)",
           tag=T, body=WebhookIn, response=WebhookCreated, status=201,
           errors=(400, 409, 415, 422), idempotent=True)  # fmt: skip
def create_webhook(caller: Caller, body: WebhookIn):
    row, secret = hooks.create_endpoint(caller.client_id, body.url, body.events, body.description)
    return WebhookCreated(**webhook_out(row).model_dump(), secret=secret), 201


@operation("/webhooks/<int:webhook_id>", "GET", summary="Get a webhook endpoint", tag=T,
           response=WebhookOut, errors=(404,))  # fmt: skip
def get_webhook(caller: Caller, webhook_id: int):
    return webhook_out(_owned(caller, webhook_id))


@operation("/webhooks/<int:webhook_id>", "PATCH", summary="Change a webhook endpoint", tag=T,
           body=WebhookPatch, response=WebhookOut, errors=(400, 404, 415, 422))  # fmt: skip
def patch_webhook(caller: Caller, webhook_id: int, body: WebhookPatch):
    row = _owned(caller, webhook_id)
    row = hooks.update_endpoint(row, body.model_dump(exclude_none=True))
    return webhook_out(row)


@operation("/webhooks/<int:webhook_id>", "DELETE", summary="Delete a webhook endpoint", tag=T,
           response=Deleted, errors=(404,))  # fmt: skip
def delete_webhook(caller: Caller, webhook_id: int):
    hooks.delete_endpoint(_owned(caller, webhook_id))
    return Deleted(id=webhook_id)


@operation("/webhooks/<int:webhook_id>/deliveries", "GET", summary="Recent deliveries", tag=T,
           query=PageQuery, response=DeliveryPage, errors=(404, 422))  # fmt: skip
def list_deliveries(caller: Caller, webhook_id: int, query: PageQuery):
    row = _owned(caller, webhook_id)
    cursor = int_cursor(query.cursor)
    rows = hooks.recent_deliveries(caller.client_id, row.id, limit=query.limit + 1 + 1000)
    if cursor is not None:
        rows = [r for r in rows if r.id < cursor]
    page = rows[: query.limit]
    return DeliveryPage(
        data=[delivery_out(r) for r in page],
        next_cursor=str(page[-1].id) if len(rows) > query.limit else None,
    )
