"""Outbound webhooks: a client's URLs receive signed JSON events, retried with backoff.

Each event becomes one ``webhook_deliveries`` row per subscribed endpoint, committed
before the HTTP call (so every attempt is visible in the panel), then a job on
``QUEUE_OUTBOUND`` POSTs it. The body is fixed when the row is created; every retry sends
the same bytes with ``X-ClickPro-Signature: sha256=<hex HMAC-SHA256(secret, body)>``.
A non-2xx answer or a transport error schedules a retry after
``backoff * 2**(attempt-1)`` seconds, up to ``OUTBOUND_WEBHOOK_MAX_ATTEMPTS``; then the
delivery is FAILED with the reason.

URLs never reach internal addresses (``url_guard``: checked when saved and on connect).
A failing endpoint backs off as a whole: after ``OUTBOUND_WEBHOOK_FAILING_AFTER``
consecutive failures it gets a ``retry_at``; until then its deliveries wait (no HTTP, no
job), and after it one delivery at a time probes it. Its first success drains the rest.
The reasons a client sees are categories ("conexão recusada", "tempo esgotado", "erro de
TLS", "HTTP 503"), never socket errors that would map the platform's network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_babel import gettext as _

from clickpro.crypto import decrypt, encrypt
from clickpro.errors import ServiceError
from clickpro.extensions import db, rowcount
from clickpro.jobs import QUEUE_OUTBOUND, enqueue
from clickpro.models import (
    Campaign,
    Contact,
    DeliveryStatus,
    Message,
    OutboundEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from clickpro.models.base import utcnow
from clickpro.schemas import contact_shape, message_shape
from clickpro.services.api import url_guard
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record

log = logging.getLogger(__name__)

EVENTS = tuple(e.value for e in OutboundEvent)
SIGNATURE_HEADER = "X-ClickPro-Signature"
EXCERPT = 500
MAX_ENDPOINTS = 20
DRAIN_BATCH = 200  # waiting deliveries re-queued at once when a failing endpoint recovers
RESPONSE_READ_LIMIT = 4096  # bytes of the answer kept (the excerpt); the rest is not read


class WebhookEndpointError(ServiceError, ValueError):
    """Bad endpoint input: ``field`` → pt_BR message."""

    def __init__(self, field: str, message: str) -> None:
        ServiceError.__init__(self, message)
        self.field = field


# --------------------------------------------------------------------------- endpoints


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise WebhookEndpointError("url", gettext("Informe uma URL http(s) completa."))
    if current_app.config["ENV_NAME"] == "production" and parts.scheme != "https":
        raise WebhookEndpointError("url", gettext("Em produção a URL precisa ser https."))
    if parts.username or parts.password:
        raise WebhookEndpointError("url", _("A URL não pode conter usuário e senha."))
    try:
        # A name that does not resolve yet is accepted: it is checked again on connect.
        url_guard.check_url(url, allow_private=_allow_private(), resolve_names=True)
    except url_guard.UnresolvableHost:
        pass
    except url_guard.ForbiddenAddress:
        raise WebhookEndpointError(
            "url",
            _(
                "Endereço recusado: a URL aponta para a rede interna, loopback ou um "
                "endereço reservado."
            ),
        ) from None
    except ValueError:  # a malformed port
        raise WebhookEndpointError("url", _("Informe uma URL http(s) completa.")) from None
    return url


def _allow_private() -> bool:
    return bool(current_app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"])


def _clean_events(events) -> list[str]:
    chosen = sorted({str(e) for e in (events or [])})
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown or not chosen:
        raise WebhookEndpointError(
            "events",
            gettext("Escolha ao menos um evento entre: %(events)s.", events=", ".join(EVENTS)),
        )
    return chosen


def create_endpoint(
    client_id: int, url: str, events, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; returns (row, its signing secret — shown only this once)."""
    count = db.session.scalar(
        sa.select(sa.func.count()).where(WebhookEndpoint.client_id == client_id)
    )
    if (count or 0) >= MAX_ENDPOINTS:
        raise WebhookEndpointError(
            "url",
            gettext(
                "No máximo %(max_endpoints)s endpoints por cliente.", max_endpoints=MAX_ENDPOINTS
            ),
        )
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
    audit_record(Action.WEBHOOK_CREATED, endpoint, client_id=client_id, url=endpoint.url)
    return endpoint, secret


def update_endpoint(endpoint: WebhookEndpoint, data: dict) -> WebhookEndpoint:
    if "url" in data:
        endpoint.url = _clean_url(data["url"])
        endpoint.failures, endpoint.retry_at = 0, None  # a new URL starts healthy
    if "events" in data:
        endpoint.events = _clean_events(data["events"])
    if "description" in data:
        endpoint.description = str(data["description"] or "").strip()[:200]
    if "is_active" in data:
        endpoint.is_active = bool(data["is_active"])
    db.session.commit()
    audit_record(Action.WEBHOOK_CHANGED, endpoint, client_id=endpoint.client_id, keys=sorted(data))
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    audit_record(Action.WEBHOOK_DELETED, endpoint, client_id=endpoint.client_id, url=endpoint.url,
                 commit=False)  # fmt: skip
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
    for row, endpoint in zip(rows, endpoints, strict=True):
        # A backing-off endpoint gets no job per event: its deliveries wait their turn.
        row.next_attempt_at = endpoint.retry_at
    db.session.add_all(rows)
    db.session.commit()
    for row, endpoint in zip(rows, endpoints, strict=True):
        if endpoint.retry_at is None:
            _schedule(row.id, None)
    return [row.id for row in rows]


def _schedule(delivery_id: int, delay_s: float | None) -> None:
    try:
        enqueue(
            "outbound_webhooks.deliver_webhook", delivery_id, queue=QUEUE_OUTBOUND, delay=delay_s
        )
    except Exception:  # noqa: BLE001 - Redis down: the row stays PENDING/RETRYING
        log.exception("could not enqueue webhook delivery %s", delivery_id)


# --------------------------------------------------------------------------- delivery


def _http_client() -> httpx.Client:
    config = current_app.config
    kwargs: dict = {
        "timeout": float(config["OUTBOUND_WEBHOOK_TIMEOUT_S"]),
        "follow_redirects": False,
        "trust_env": False,
    }
    transport = config["OUTBOUND_WEBHOOK_TRANSPORT"]  # tests: a fake server
    kwargs["transport"] = (
        transport
        if transport is not None
        else url_guard.GuardedTransport(allow_private=_allow_private())
    )
    return httpx.Client(**kwargs)


class _Outcome:
    """One attempt's result: status code, answer excerpt, reason, whether to retry."""

    __slots__ = ("code", "excerpt", "reason", "permanent")

    def __init__(
        self, code: int | None = None, excerpt: str = "", reason: str = "", permanent=False
    ) -> None:
        self.code, self.excerpt, self.reason, self.permanent = code, excerpt, reason, permanent

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


def _failure(exc: BaseException) -> _Outcome:
    """A transport error as a category a client may see (never the socket's own text)."""
    chain = list(url_guard.causes(exc))
    if any(isinstance(e, url_guard.ForbiddenAddress) for e in chain):
        return _Outcome(
            reason=_("Destino recusado: o endereço é interno, loopback ou reservado."),
            permanent=True,
        )
    if any(isinstance(e, url_guard.UnresolvableHost) for e in chain):
        return _Outcome(reason=_("Host não encontrado (DNS)."))
    if any(isinstance(e, ssl.SSLError | ssl.CertificateError) for e in chain):
        return _Outcome(reason=_("Erro de TLS (certificado ou protocolo)."))
    if isinstance(exc, httpx.TimeoutException):
        return _Outcome(reason=_("Tempo esgotado."))
    if isinstance(exc, httpx.ConnectError):
        return _Outcome(reason=_("Conexão recusada."))
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol | ValueError):
        return _Outcome(reason=_("URL inválida."), permanent=True)
    if isinstance(exc, httpx.TooManyRedirects):
        return _Outcome(reason=_("Redirecionamento não é seguido."))
    if isinstance(exc, httpx.HTTPError):
        return _Outcome(reason=_("Erro de rede."))
    log.exception("outbound webhook attempt failed", exc_info=exc)
    return _Outcome(reason=_("Erro interno ao enviar."))


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> _Outcome:
    """One POST. The answer is read only up to ``RESPONSE_READ_LIMIT`` bytes."""
    try:
        # Literals and localhost are refused before any connection (cheap, no DNS);
        # names are resolved and checked by the transport, on connect.
        url_guard.check_url(endpoint.url, allow_private=_allow_private(), resolve_names=False)
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "ClickPro-Webhooks/1.0",
            "X-ClickPro-Event": delivery.event,
            "X-ClickPro-Delivery": str(delivery.id),
            SIGNATURE_HEADER: sign(decrypt(endpoint.secret_enc), body),
        }
        with (
            _http_client() as http,
            http.stream("POST", endpoint.url, content=body, headers=headers) as response,
        ):
            raw = b""
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) >= RESPONSE_READ_LIMIT:
                    break
            text = raw[:RESPONSE_READ_LIMIT].decode(response.encoding or "utf-8", "replace")
        return _Outcome(response.status_code, text[:EXCERPT], f"HTTP {response.status_code}")
    except Exception as exc:  # noqa: BLE001 - every failure is a recorded attempt
        return _failure(exc)


def _failing_after() -> int:
    return max(1, int(current_app.config["OUTBOUND_WEBHOOK_FAILING_AFTER"]))


def _endpoint_delay(failures: int) -> float:
    """Seconds the endpoint waits after its ``failures``-th consecutive failure."""
    config = current_app.config
    backoff = float(config["OUTBOUND_WEBHOOK_BACKOFF_S"])
    cap = float(config["OUTBOUND_WEBHOOK_ENDPOINT_MAX_BACKOFF_S"])
    exponent = min(failures - _failing_after(), 30)
    return min(cap, backoff * 2**exponent)


def _claim_attempt(endpoint: WebhookEndpoint, now: datetime) -> bool:
    """For a failing endpoint: become its one attempt in flight, or wait.

    The conditional UPDATE is the lock: of the jobs that wake after ``retry_at`` only one
    moves it forward (by a lease longer than an attempt) and goes on.
    """
    if endpoint.retry_at is None:
        return True
    if endpoint.retry_at > now:
        return False
    timeout = float(current_app.config["OUTBOUND_WEBHOOK_TIMEOUT_S"])
    lease = now + timedelta(seconds=4 * timeout + 30)
    claimed = rowcount(
        db.session.execute(
            sa.update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.retry_at <= now)
            .values(retry_at=lease)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    db.session.refresh(endpoint)
    return claimed == 1


def _waiting_ids(endpoint_id: int, *, exclude: int | None, limit: int, due=None) -> list[int]:
    stmt = sa.select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == endpoint_id,
        WebhookDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.RETRYING)),
    )
    if exclude is not None:
        stmt = stmt.where(WebhookDelivery.id != exclude)
    if due is not None:
        stmt = stmt.where(
            sa.func.coalesce(WebhookDelivery.next_attempt_at, WebhookDelivery.created_at) <= due
        )
    return list(db.session.scalars(stmt.order_by(WebhookDelivery.id).limit(limit)))


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
    if not _claim_attempt(endpoint, utcnow()):
        # The endpoint backs off: wait without a job; its attempt in flight, its recovery
        # or the sweep moves this delivery on.
        delivery.next_attempt_at = endpoint.retry_at
        db.session.commit()
        return delivery
    outcome = _post(endpoint, delivery)
    now = utcnow()
    delivery.attempts += 1
    delivery.last_status_code = outcome.code
    delivery.last_response = outcome.excerpt or None
    if outcome.ok:
        recovered = endpoint.retry_at is not None
        endpoint.failures, endpoint.retry_at = 0, None
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = None
        db.session.commit()
        if recovered:
            for waiting in _waiting_ids(
                endpoint.id, exclude=delivery.id, limit=DRAIN_BATCH, due=now
            ):
                _schedule(waiting, None)
        return delivery
    endpoint.failures += 1
    if endpoint.failures >= _failing_after():
        endpoint.retry_at = now + timedelta(seconds=_endpoint_delay(endpoint.failures))
    reason = outcome.reason
    config = current_app.config
    max_attempts = int(config["OUTBOUND_WEBHOOK_MAX_ATTEMPTS"])
    if outcome.permanent or delivery.attempts >= max_attempts:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        if not outcome.permanent:
            reason = _("Desistimos após %(n)d tentativas: %(reason)s", n=delivery.attempts,
                       reason=reason)  # fmt: skip
        delivery.last_error = reason[:500]
        db.session.commit()
        if endpoint.retry_at is not None:  # keep the endpoint's one attempt going
            following = _waiting_ids(endpoint.id, exclude=delivery.id, limit=1)
            if following:
                delay = max(0.0, (endpoint.retry_at - now).total_seconds())
                _schedule(following[0], delay)
        return delivery
    backoff = float(config["OUTBOUND_WEBHOOK_BACKOFF_S"])
    delay = backoff * 2 ** (delivery.attempts - 1)
    if endpoint.retry_at is not None:
        delay = max(delay, (endpoint.retry_at - now).total_seconds())
    delivery.status = DeliveryStatus.RETRYING
    delivery.last_error = reason[:500]
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    db.session.commit()
    _schedule(delivery.id, delay)
    return delivery


# --------------------------------------------------------------------------- receivers
# Connected in ``clickpro.receivers.CORE_RECEIVERS``; each is one indexed SELECT when the
# client has no endpoint, so they are cheap on the hot paths (status webhooks).


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _message_data(message_id: int) -> dict | None:
    """``{"message", "contact"}``: the shared shapes of ``clickpro.schemas`` (the same JSON
    as ``GET /api/v1/messages/<id>`` and ``/api/v1/contacts/<id>``)."""
    message = db.session.get(Message, message_id)
    if message is None:
        return None
    contact = db.session.get(Contact, message.contact_id)
    return {
        "message": message_shape(message, contact).model_dump(mode="json"),
        "contact": contact_shape(contact).model_dump(mode="json") if contact else None,
    }


# Inside remembering_endpoints(): each client's answer is looked up once (a batch of
# thousands of status signals otherwise costs one query per signal).
_endpoints_memo: ContextVar[dict[int, bool] | None] = ContextVar("endpoints_memo", default=None)


@contextmanager
def remembering_endpoints() -> Iterator[None]:
    """For a burst of signals sent together (a processed webhook batch)."""
    token = _endpoints_memo.set({})
    try:
        yield
    finally:
        _endpoints_memo.reset(token)


def _has_endpoints(client_id: int | None) -> bool:
    if client_id is None:
        return False
    memo = _endpoints_memo.get()
    if memo is not None and client_id in memo:
        return memo[client_id]
    found = (
        db.session.scalar(
            sa.select(WebhookEndpoint.id)
            .where(WebhookEndpoint.client_id == client_id, WebhookEndpoint.is_active.is_(True))
            .limit(1)
        )
        is not None
    )
    if memo is not None:
        memo[client_id] = found
    return found


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


def on_contact_opted_out(
    sender=None, *, client_id: int, phone_e164: str | None, bsuid=None, source=None, **_
):
    if _has_endpoints(client_id):
        # By phone, by BSUID (a username user who wrote SAIR), or both: the same fields
        # as OptOutOut in /api/v1/opt-outs.
        data = {"optout": {"phone": phone_e164, "bsuid": bsuid, "source": str(source or "")}}
        publish(client_id, OutboundEvent.OPTOUT_CREATED, data)


def on_conversation_assigned(
    sender=None,
    *,
    client_id: int,
    conversation_id: int,
    team_id=None,
    user_id=None,
    previous_team_id=None,
    previous_user_id=None,
    actor=None,
    actor_user_id=None,
    event_id=None,
    **_,
):
    if _has_endpoints(client_id):
        note = None
        if event_id is not None:
            from clickpro.models.teams import ConversationEvent

            row = db.session.get(ConversationEvent, event_id)
            note = row.note if row is not None else None
        data = {
            "conversation": {"id": conversation_id, "team_id": team_id, "user_id": user_id},
            "previous": {"team_id": previous_team_id, "user_id": previous_user_id},
            "actor": str(actor or ""),
            "actor_user_id": actor_user_id,
            "note": note,
            "event_id": event_id,
        }
        publish(client_id, OutboundEvent.CONVERSATION_ASSIGNED, data)


# --------------------------------------------------------------------------- sweep


def requeue_lost(now=None, *, grace_s: float = 600, limit: int = 500) -> int:
    """Re-enqueue deliveries whose job was lost (Redis restarted, enqueue failed).

    Deliveries of a backing-off endpoint wait by design; only when its ``retry_at`` is
    long past (its one attempt was lost) is a single one of them re-enqueued.
    """
    now = now or utcnow()
    due = now - timedelta(seconds=grace_s)
    open_ = WebhookDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.RETRYING))
    joined = sa.select(WebhookDelivery.id).join(
        WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id
    )
    ids = list(
        db.session.scalars(
            joined.where(
                open_,
                WebhookEndpoint.retry_at.is_(None),
                sa.func.coalesce(WebhookDelivery.next_attempt_at, WebhookDelivery.created_at) < due,
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        )
    )
    ids += list(
        db.session.scalars(
            sa.select(sa.func.min(WebhookDelivery.id))
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(open_, WebhookEndpoint.retry_at < due)
            .group_by(WebhookDelivery.endpoint_id)
            .limit(limit)
        )
    )
    for delivery_id in ids:
        _schedule(delivery_id, None)
    return len(ids)
