"""Outbound webhooks: a client's URLs receive signed JSON events, retried with backoff.

Each event becomes one ``webhook_deliveries`` row per subscribed endpoint, committed
before the HTTP call (so every attempt is visible in the panel), then a job on
``QUEUE_DEFAULT`` POSTs it. The body is fixed when the row is created; every retry sends
the same bytes with ``X-ClickPro-Signature: sha256=<hex HMAC-SHA256(secret, body)>``.
A non-2xx answer or a transport error schedules a retry after
``backoff * 2**(attempt-1)`` seconds, up to ``OUTBOUND_WEBHOOK_MAX_ATTEMPTS``; then the
delivery is FAILED with the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from flask import current_app

from clickpro.crypto import decrypt, encrypt
from clickpro.extensions import db
from clickpro.jobs import QUEUE_DEFAULT, enqueue
from clickpro.models import DeliveryStatus, OutboundEvent, WebhookDelivery, WebhookEndpoint
from clickpro.models.base import utcnow

log = logging.getLogger(__name__)

EVENTS = tuple(e.value for e in OutboundEvent)
SIGNATURE_HEADER = "X-ClickPro-Signature"
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BACKOFF_S = 10.0
DEFAULT_TIMEOUT_S = 5.0
EXCERPT = 500
MAX_ENDPOINTS = 20


class WebhookEndpointError(ValueError):
    """Bad endpoint input: ``field`` → pt_BR message."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


# --------------------------------------------------------------------------- endpoints


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise WebhookEndpointError("url", "Informe uma URL http(s) completa.")
    if current_app.config.get("ENV_NAME") == "production" and parts.scheme != "https":
        raise WebhookEndpointError("url", "Em produção a URL precisa ser https.")
    return url


def _clean_events(events) -> list[str]:
    chosen = sorted({str(e) for e in (events or [])})
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown or not chosen:
        raise WebhookEndpointError(
            "events", "Escolha ao menos um evento entre: " + ", ".join(EVENTS) + "."
        )
    return chosen


def create_endpoint(
    client_id: int, url: str, events, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; returns (row, its signing secret — shown only this once)."""
    count = db.session.scalar(
        sa.select(sa.func.count()).where(WebhookEndpoint.client_id == client_id)
    )
    if count >= MAX_ENDPOINTS:
        raise WebhookEndpointError("url", f"No máximo {MAX_ENDPOINTS} endpoints por cliente.")
    secret = "whsec_" + secrets.token_urlsafe(24)
    endpoint = WebhookEndpoint(
        client_id=client_id,
        url=_clean_url(url),
        events=_clean_events(events),
        description=(description or "").strip()[:200],
        secret_enc=encrypt(secret),
        is_active=True,
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint, secret


def update_endpoint(endpoint: WebhookEndpoint, data: dict) -> WebhookEndpoint:
    if "url" in data:
        endpoint.url = _clean_url(data["url"])
    if "events" in data:
        endpoint.events = _clean_events(data["events"])
    if "description" in data:
        endpoint.description = str(data["description"] or "").strip()[:200]
    if "is_active" in data:
        endpoint.is_active = bool(data["is_active"])
    db.session.commit()
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.commit()


def endpoints_of(client_id: int) -> list[WebhookEndpoint]:
    stmt = sa.select(WebhookEndpoint).where(WebhookEndpoint.client_id == client_id)
    return list(db.session.scalars(stmt.order_by(WebhookEndpoint.id)))


def recent_deliveries(client_id: int, endpoint_id: int | None = None, limit: int = 50):
    stmt = sa.select(WebhookDelivery).where(WebhookDelivery.client_id == client_id)
    if endpoint_id is not None:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    return list(db.session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)))


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- events


def publish(client_id: int, event: str, data: dict) -> list[int]:
    """Queue ``event`` for every active endpoint of the client subscribed to it."""
    endpoints = [
        e
        for e in db.session.scalars(
            sa.select(WebhookEndpoint).where(
                WebhookEndpoint.client_id == client_id, WebhookEndpoint.is_active.is_(True)
            )
        )
        if event in (e.events or [])
    ]
    if not endpoints:
        return []
    envelope = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": event,
        "created_at": utcnow().isoformat(),
        "data": data,
    }
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), default=str)
    rows = [
        WebhookDelivery(client_id=client_id, endpoint_id=e.id, event=event, body=body)
        for e in endpoints
    ]
    db.session.add_all(rows)
    db.session.commit()
    ids = [row.id for row in rows]
    for delivery_id in ids:
        _schedule(delivery_id, None)
    return ids


def _schedule(delivery_id: int, delay_s: float | None) -> None:
    try:
        enqueue(
            "outbound_webhooks.deliver_webhook", delivery_id, queue=QUEUE_DEFAULT, delay=delay_s
        )
    except Exception:  # noqa: BLE001 - Redis down: the row stays PENDING/RETRYING
        log.exception("could not enqueue webhook delivery %s", delivery_id)


# --------------------------------------------------------------------------- delivery


def _http_client() -> httpx.Client:
    config = current_app.config
    kwargs: dict = {
        "timeout": float(config.get("OUTBOUND_WEBHOOK_TIMEOUT_S", DEFAULT_TIMEOUT_S)),
        "follow_redirects": False,
    }
    transport = config.get("OUTBOUND_WEBHOOK_TRANSPORT")
    if transport is not None:
        kwargs["transport"] = transport
    return httpx.Client(**kwargs)


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    """(status code or None, response excerpt, transport error)."""
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ClickPro-Webhooks/1.0",
        "X-ClickPro-Event": delivery.event,
        "X-ClickPro-Delivery": str(delivery.id),
        SIGNATURE_HEADER: sign(decrypt(endpoint.secret_enc), body),
    }
    try:
        with _http_client() as http:
            response = http.post(endpoint.url, content=body, headers=headers)
        return response.status_code, response.text[:EXCERPT], ""
    except httpx.HTTPError as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:EXCERPT]


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """One attempt (the job body); schedules the next one or gives up."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED):
        return delivery
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.is_active:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = "Endpoint removido ou desativado."
        db.session.commit()
        return delivery
    code, excerpt, error = _post(endpoint, delivery)
    delivery.attempts += 1
    delivery.last_status_code = code
    delivery.last_response = excerpt or None
    delivery.last_error = error or None
    if code is not None and 200 <= code < 300:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = utcnow()
        delivery.next_attempt_at = None
        db.session.commit()
        return delivery
    reason = error or f"HTTP {code}"
    config = current_app.config
    max_attempts = int(config.get("OUTBOUND_WEBHOOK_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
    if delivery.attempts >= max_attempts:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = f"Desistimos após {delivery.attempts} tentativas: {reason}"[:500]
        db.session.commit()
        return delivery
    backoff = float(config.get("OUTBOUND_WEBHOOK_BACKOFF_S", DEFAULT_BACKOFF_S))
    delay = backoff * 2 ** (delivery.attempts - 1)
    delivery.status = DeliveryStatus.RETRYING
    delivery.last_error = reason[:500]
    delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
    db.session.commit()
    _schedule(delivery.id, delay)
    return delivery


# --------------------------------------------------------------------------- receivers
# Connected in ``clickpro.receivers.CORE_RECEIVERS``; each is one indexed SELECT when the
# client has no endpoint, so they are cheap on the hot paths (status webhooks).


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _message_data(message_id: int) -> dict | None:
    from clickpro.models import Contact, Message

    message = db.session.get(Message, message_id)
    if message is None:
        return None
    contact = db.session.get(Contact, message.contact_id)
    return {
        "message": {
            "id": message.id,
            "contact_id": message.contact_id,
            "campaign_id": message.campaign_id,
            "direction": message.direction,
            "type": message.type,
            "body": message.body or "",
            "status": message.status,
            "wamid": message.wamid,
            "error_code": message.error_code,
            "error_title": message.error_title,
            "created_at": _iso(message.created_at),
        },
        "contact": {
            "id": contact.id,
            "phone": contact.phone_e164,
            "name": contact.name,
        }
        if contact is not None
        else None,
    }


def _has_endpoints(client_id: int | None) -> bool:
    if client_id is None:
        return False
    return (
        db.session.scalar(
            sa.select(WebhookEndpoint.id)
            .where(WebhookEndpoint.client_id == client_id, WebhookEndpoint.is_active.is_(True))
            .limit(1)
        )
        is not None
    )


def on_message_received(sender=None, *, client_id: int, message_id: int, **_) -> None:
    if _has_endpoints(client_id) and (data := _message_data(message_id)):
        publish(client_id, OutboundEvent.MESSAGE_RECEIVED, data)


def on_message_status_changed(
    sender=None, *, client_id: int, message_id: int, status=None, previous=None, **_
) -> None:
    if _has_endpoints(client_id) and (data := _message_data(message_id)):
        data["status"] = str(status) if status is not None else data["message"]["status"]
        data["previous"] = str(previous) if previous is not None else None
        publish(client_id, OutboundEvent.MESSAGE_STATUS, data)


def on_campaign_finished(sender=None, *, client_id: int, campaign_id: int, status=None, **_):
    if not _has_endpoints(client_id):
        return
    from clickpro.models import Campaign

    campaign = db.session.get(Campaign, campaign_id)
    data = {
        "campaign": {
            "id": campaign_id,
            "name": campaign.name if campaign else None,
            "status": str(status or (campaign.status if campaign else "")),
            "counters": dict(campaign.counters or {}) if campaign else {},
            "finished_at": _iso(campaign.finished_at) if campaign else None,
        }
    }
    publish(client_id, OutboundEvent.CAMPAIGN_COMPLETED, data)


def on_contact_opted_out(sender=None, *, client_id: int, phone_e164: str, source=None, **_):
    if _has_endpoints(client_id):
        data = {"optout": {"phone": phone_e164, "source": str(source or "")}}
        publish(client_id, OutboundEvent.OPTOUT_CREATED, data)


# --------------------------------------------------------------------------- sweep


def requeue_lost(now=None, *, grace_s: float = 600, limit: int = 500) -> int:
    """Re-enqueue deliveries whose job was lost (Redis restarted, enqueue failed)."""
    now = now or utcnow()
    due = now - timedelta(seconds=grace_s)
    ids = list(
        db.session.scalars(
            sa.select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.RETRYING)),
                sa.func.coalesce(WebhookDelivery.next_attempt_at, WebhookDelivery.created_at) < due,
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        )
    )
    for delivery_id in ids:
        _schedule(delivery_id, None)
    return len(ids)
