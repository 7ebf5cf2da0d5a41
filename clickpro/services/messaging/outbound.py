"""Every chat message ClickPro sends (AI, agent, system, API) goes through here.

Order of a send, so nothing is ever sent without a trace and never sent twice:
1. the ``messages`` row is inserted (OUT, QUEUED) and committed;
2. the Graph call carries ``biz_opaque_callback_data = "clickpro:m:<id>"`` so a status
   webhook can find the row even before we stored the wamid;
3. the wamid and SENT (or FAILED with Meta's code and title) are committed. A POST whose
   outcome is unknown (timeout, dropped connection, 5xx) becomes UNKNOWN and is never
   re-sent automatically: a status webhook reconciles it, or a person decides;
4. statuses that arrived early are applied, the conversation is updated, and
   ``message_created`` is sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.events import message_created, send_safely
from clickpro.extensions import db, redis_connection
from clickpro.integrations.meta import GraphClient, GraphError, GraphErrorKind, SendResult
from clickpro.integrations.ratelimit import RateLimiter
from clickpro.labels import label
from clickpro.models import (
    Author,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Template,
    TemplateStatus,
    WhatsAppCredential,
)
from clickpro.models.base import utcnow
from clickpro.services.credentials import mark_whatsapp_invalid, whatsapp_for
from clickpro.services.messaging.addressing import check_template_allowed, recipient_of
from clickpro.services.messaging.delivery import apply_pending_statuses
from clickpro.services.templates.rules import build_send_components, render_text
from clickpro.tenancy import get_owned

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
TEXT_MAX = 4096
CALLBACK_PREFIX = "clickpro:m:"
# Cloud API media limits (bytes) by message type.
MEDIA_LIMITS = {
    "image": 5 * 1024 * 1024,
    "audio": 16 * 1024 * 1024,
    "video": 16 * 1024 * 1024,
    "document": 100 * 1024 * 1024,
}
RATE_WAIT_S = 10.0


class OutboundError(ServiceError):
    """A send refused before reaching Meta (bad input); ``str()`` is a pt_BR message."""


class WindowClosed(OutboundError):
    """Free-form message outside the 24-hour customer window (Meta's 131047).

    ``row`` is the stored FAILED row when Meta answered 131047 (None: refused locally)."""

    code = "window_closed"
    field = "text"

    def __init__(self, row: Message | None = None) -> None:
        self.row = row
        super().__init__(
            _(
                "A janela de 24 horas desta conversa está fechada: o contato não escreve há "
                "mais de 24 horas. Envie um modelo aprovado."
            )
        )


class SendFailed(OutboundError):
    """Meta refused the send; ``row`` is the stored row (FAILED, error_code/title)."""

    code = "send_failed"
    http_status = 502

    def __init__(self, row: Message) -> None:
        self.row = row
        super().__init__(f"Falha no envio: {row.error_title or row.error_code}")


def callback_data(message: Message) -> str:
    return f"{CALLBACK_PREFIX}{message.id}"


def window_open(contact: Contact, now: datetime | None = None) -> bool:
    """Whether the customer wrote within the last 24 hours."""
    last = contact.last_inbound_at
    return last is not None and (now or utcnow()) - last < WINDOW


def recipient(contact: Contact) -> dict[str, str]:
    """The payload's address: ``to`` (phone) or ``recipient`` (BSUID); see addressing."""
    return recipient_of(contact).fields()


# --------------------------------------------------------------------------- public API


def send_text(
    client_id: int,
    contact_id: int,
    body: str,
    *,
    author: str,
    agent_id: int | None = None,
    reply_to_wamid: str | None = None,
    check_window: bool = True,
) -> Message:
    contact = _contact(client_id, contact_id)
    body = (body or "").strip()
    if not body:
        raise OutboundError(_("A mensagem está vazia."))
    if len(body) > TEXT_MAX:
        raise OutboundError(_("A mensagem passa de %(text_max)s caracteres.", text_max=TEXT_MAX))
    if check_window and not window_open(contact):
        raise WindowClosed()
    credential, graph = whatsapp_for(client_id)
    payload: dict = {
        **recipient(contact),
        "type": "text",
        "text": {"body": body, "preview_url": "http" in body},
    }
    if reply_to_wamid:
        payload["context"] = {"message_id": reply_to_wamid}
    message = _store(contact, author, agent_id, "text", body, payload, context_wamid=reply_to_wamid)
    return _deliver(message, contact, _poster(graph, credential, message, payload))


def send_template(
    client_id: int,
    contact_id: int,
    template_id: int,
    values: dict,
    *,
    author: str,
    agent_id: int | None = None,
) -> Message:
    contact = _contact(client_id, contact_id)
    template = get_owned(Template, template_id, client_id)
    if template is None:
        raise OutboundError(_("Modelo não encontrado."))
    if template.status != TemplateStatus.APPROVED:
        raise OutboundError(
            _(
                "O modelo “%(name)s” não está aprovado (%(status)s).",
                name=template.name,
                status=label("template", template.status),
            )
        )
    check_template_allowed(template.category, recipient_of(contact))
    try:
        components = build_send_components(template.components, values or {})
    except ValueError as exc:
        raise OutboundError(str(exc)) from None
    credential, graph = whatsapp_for(client_id)
    rendered = render_text(template.components, values or {})
    template_obj: dict = {"name": template.name, "language": {"code": template.language}}
    if components:
        template_obj["components"] = components
    payload = {**recipient(contact), "type": "template", "template": template_obj}
    message = _store(contact, author, agent_id, "template", rendered["body"],
                     {**payload, "rendered": rendered}, template_id=template.id)  # fmt: skip
    return _deliver(message, contact, _poster(graph, credential, message, payload))


def media_type_of(mime_type: str) -> str:
    major = (mime_type or "").split("/", 1)[0].lower()
    return major if major in ("image", "audio", "video") else "document"


def send_media(
    client_id: int,
    contact_id: int,
    *,
    content: bytes,
    mime_type: str,
    filename: str,
    caption: str | None = None,
    author: str,
    agent_id: int | None = None,
) -> Message:
    """Upload ``content`` to Meta, then send it (free-form: needs the 24-hour window)."""
    contact = _contact(client_id, contact_id)
    kind = media_type_of(mime_type)
    if not content:
        raise OutboundError(_("O arquivo está vazio."))
    if len(content) > MEDIA_LIMITS[kind]:
        limit_mb = MEDIA_LIMITS[kind] // (1024 * 1024)
        raise OutboundError(
            _(
                "Arquivo grande demais: o limite para %(kind)s é %(limit_mb)s MB.",
                kind=kind,
                limit_mb=limit_mb,
            )
        )
    if not window_open(contact):
        raise WindowClosed()
    credential, graph = whatsapp_for(client_id)
    caption = (caption or "").strip() or None
    media: dict = {"caption": caption} if caption and kind != "audio" else {}
    if kind == "document":
        media["filename"] = filename
    to = recipient_of(contact)
    payload = {**to.fields(), "type": kind, kind: media}
    message = _store(contact, author, agent_id, kind, caption or filename, payload)
    pnid, mps, callback = (
        credential.phone_number_id,
        credential.throughput_mps,
        callback_data(message),
    )
    uploaded: dict = {}

    def call() -> SendResult:
        media_id = graph.upload_message_media(pnid, content, mime_type, filename)
        uploaded.update(media_id=media_id, payload={**payload, kind: {**media, "id": media_id}})
        _throttle(pnid, mps)
        return graph.send_media(
            pnid,
            to,
            kind,
            media_id=media_id,
            caption=media.get("caption"),
            filename=media.get("filename"),
            callback_data=callback,
        )

    return _deliver(message, contact, call, uploaded)


def mark_read(client_id: int, inbound_message_id: int) -> None:
    """Tell Meta the customer's message was read (blue ticks). Best effort: logged."""
    message = get_owned(Message, inbound_message_id, client_id)
    if message is None or message.direction != Direction.IN or not message.wamid:
        return
    try:
        credential, graph = whatsapp_for(client_id)
        graph.mark_read(credential.phone_number_id, message.wamid)
    except Exception as exc:  # never break the inbox for a read receipt
        log.warning("mark_read of message %s failed: %s", message.id, exc)


# --------------------------------------------------------------------------- steps


def _contact(client_id: int, contact_id: int) -> Contact:
    contact = get_owned(Contact, contact_id, client_id)
    if contact is None:
        raise OutboundError(_("Contato não encontrado."))
    return contact


def _store(
    contact: Contact,
    author: str,
    agent_id: int | None,
    kind: str,
    body: str,
    payload: dict,
    **columns,
) -> Message:
    if author not in Author.__members__ or author == Author.CONTACT:
        raise ValueError(f"invalid author for an outbound message: {author!r}")
    message = Message(
        client_id=contact.client_id,
        contact_id=contact.id,
        direction=Direction.OUT,
        author=author,
        agent_id=agent_id,
        type=kind,
        body=body,
        payload=payload,
        status=MessageStatus.QUEUED,
        **columns,
    )
    db.session.add(message)
    db.session.commit()
    return message


def _throttle(phone_number_id: str, rate_mps: float) -> None:
    """Take a slot of the number's shared limiter (campaigns use the same key)."""
    try:
        limiter = RateLimiter(redis_connection())
        if not limiter.acquire(f"phone:{phone_number_id}", float(rate_mps), timeout=RATE_WAIT_S):
            log.warning("phone %s: no send slot in %ss", phone_number_id, RATE_WAIT_S)
    except Exception as exc:  # Redis down: Meta's own 130429 is the backstop
        log.warning("rate limiter unavailable: %s", exc)


def _poster(graph: GraphClient, credential: WhatsAppCredential, message: Message, payload: dict):
    """The Graph call of a stored message, built from plain values (no ORM access later)."""
    body = {**payload, "biz_opaque_callback_data": callback_data(message)}
    pnid, mps = credential.phone_number_id, credential.throughput_mps

    def call() -> SendResult:
        _throttle(pnid, mps)
        return graph.send_message(pnid, body)

    return call


def _outcome_unknown(error: GraphError) -> bool:
    """Did Meta maybe accept the POST? Transport failures and code-less 5xx: maybe."""
    if error.kind != GraphErrorKind.NETWORK or error.code is not None:
        return False
    return error.status_code is None or error.status_code >= 500


def _deliver(message: Message, contact: Contact, call, extra: dict | None = None) -> Message:
    """Run the Graph call for a stored message and record its outcome.

    No transaction stays open during the HTTP call (SQLite would block every other
    writer, PostgreSQL would hold a snapshot): the caller read what it needs first.
    """
    db.session.commit()  # end the read transaction opened by loading the row's values
    error: GraphError | None = None
    try:
        result: SendResult = call()
    except GraphError as exc:
        error = exc
        _record_error(message, exc)
    else:
        _record_sent(message.id, result.wamid)
        if result.wa_id and result.wa_id != contact.wa_id:
            contact.wa_id = result.wa_id  # Meta's form of the number (Brazil: 8 digits)
    for name, value in (extra or {}).items():
        setattr(message, name, value)
    message.attempts = (message.attempts or 0) + 1
    contact.last_message_at = utcnow()
    contact.last_message_preview = (message.body or "")[:200]
    db.session.commit()
    _after_commit(message)
    if error is not None:
        if error.kind == GraphErrorKind.AUTH:
            mark_whatsapp_invalid(message.client_id, f"{error}")
        if error.kind == GraphErrorKind.WINDOW_CLOSED:
            raise WindowClosed(message)
        if message.status == MessageStatus.FAILED:
            raise SendFailed(message)
    return message


def _record_sent(message_id: int, wamid: str) -> None:
    """Store the wamid and SENT, without downgrading a status a webhook already applied.

    A fast status webhook (matched by our callback data) can mark the row DELIVERED or
    READ while our POST is still returning; an unconditional ``status = SENT`` would undo it.
    """
    db.session.execute(
        sa.update(Message)
        .where(Message.id == message_id)
        .values(
            wamid=wamid,
            sent_at=sa.func.coalesce(Message.sent_at, utcnow()),
            status=sa.case(
                (
                    Message.status.in_([MessageStatus.QUEUED, MessageStatus.SENDING]),
                    MessageStatus.SENT,
                ),
                else_=Message.status,
            ),
        )
        .execution_options(synchronize_session=False)
    )


def _record_error(message: Message, error: GraphError) -> None:
    message.error_code = error.code
    message.error_title = (error.title or str(error))[:500]
    if _outcome_unknown(error):
        message.status = MessageStatus.UNKNOWN
        log.warning("message %s: outcome unknown (%s); not re-sent", message.id, error)
    else:
        message.status = MessageStatus.FAILED
        message.failed_at = utcnow()


def _after_commit(message: Message) -> None:
    if message.wamid:
        try:
            apply_pending_statuses(message)
        except Exception:
            log.exception("pending statuses of message %s", message.id)
            db.session.rollback()
    send_safely(
        message_created,
        client_id=message.client_id,
        message_id=message.id,
        contact_id=message.contact_id,
    )
