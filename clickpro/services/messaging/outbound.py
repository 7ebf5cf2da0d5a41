"""Every single chat message ClickPro sends (AI, agent, system, API) goes through here.

A send belongs to a conversation (one per contact per number): it goes out FROM the
conversation's number, with that number's credential, and the free-form 24-hour window
is that conversation's (``conversation.last_inbound_at``: the customer's last message
to that number). See :mod:`.sender` for who sends to whom.

Order of a send, so nothing is ever sent without a trace and never sent twice
(:mod:`.steps`):
1. the ``messages`` row is inserted (OUT, QUEUED, with ``number_id`` and
   ``conversation_id``) and committed;
2. the Graph call carries ``biz_opaque_callback_data = "clickpro:m:<id>"`` so a status
   webhook can find the row even before we stored the wamid;
3. the wamid and SENT (or FAILED with Meta's code and title) are committed. A POST whose
   outcome is unknown (timeout, dropped connection, 5xx) becomes UNKNOWN and is never
   re-sent automatically: a status webhook reconciles it, or a person decides;
4. statuses that arrived early are applied, the conversation's last message is updated,
   and ``message_created`` is sent.

Compatibility: ``send_text(client_id, contact_id, body, ..., number_id=None)`` (and the
same for template/media) still works and means the contact's conversation on that
number (default: the client's first number); new code passes a ``Conversation``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from flask_babel import gettext as _

from clickpro.integrations.meta import GraphErrorKind, SendResult
from clickpro.labels import label
from clickpro.models import (
    Conversation,
    Direction,
    Message,
    MessageStatus,
    Template,
    TemplateStatus,
)
from clickpro.models.base import utcnow
from clickpro.services.credentials.numbers import whatsapp_for_number
from clickpro.services.messaging import steps
from clickpro.services.messaging.addressing import check_template_allowed
from clickpro.services.messaging.sender import OutboundError, Route, conversation_for, route_of
from clickpro.services.templates.rules import build_send_components, render_text
from clickpro.tenancy import get_owned

__all__ = [
    "MEDIA_LIMITS",
    "TEXT_MAX",
    "WINDOW",
    "OutboundError",
    "SendFailed",
    "WindowClosed",
    "conversation_for",
    "mark_read",
    "media_type_of",
    "send_media",
    "send_template",
    "send_text",
    "window_open",
]

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
TEXT_MAX = 4096
CALLBACK_PREFIX = steps.CALLBACK_PREFIX
# Cloud API media limits (bytes) by message type.
MEDIA_LIMITS = {
    "image": 5 * 1024 * 1024,
    "audio": 16 * 1024 * 1024,
    "video": 16 * 1024 * 1024,
    "document": 100 * 1024 * 1024,
}


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


class _HasInbound(Protocol):
    last_inbound_at: datetime | None


def callback_data(message: Message) -> str:
    return steps.callback_data(message)


def window_open(conversation: _HasInbound, now: datetime | None = None) -> bool:
    """Whether the customer wrote to this conversation's number within the last 24 hours."""
    last = conversation.last_inbound_at
    return last is not None and (now or utcnow()) - last < WINDOW


# --------------------------------------------------------------------------- compatibility

F = TypeVar("F", bound=Callable[..., Message])


def _conversation_first(func: F) -> F:
    """Accept the old ``(client_id, contact_id, ...)`` form (``number_id=`` optional) by
    resolving the contact's conversation on that number (default: the first number)."""

    @functools.wraps(func)
    def wrapper(target: Any, *args: Any, number_id: int | None = None, **kwargs: Any) -> Message:
        if isinstance(target, Conversation):
            return func(target, *args, **kwargs)
        contact_id, *rest = args
        return func(conversation_for(int(target), int(contact_id), number_id), *rest, **kwargs)

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- public API


@_conversation_first
def send_text(
    conversation: Conversation,
    body: str,
    *,
    author: str,
    agent_id: int | None = None,
    reply_to_wamid: str | None = None,
    check_window: bool = True,
) -> Message:
    """A free-form text in ``conversation``, from its number (needs its 24-hour window
    unless ``check_window`` is False)."""
    body = (body or "").strip()
    if not body:
        raise OutboundError(_("A mensagem está vazia."))
    if len(body) > TEXT_MAX:
        raise OutboundError(_("A mensagem passa de %(text_max)s caracteres.", text_max=TEXT_MAX))
    if check_window and not window_open(conversation):
        raise WindowClosed()
    route = route_of(conversation)
    payload: dict = {
        **route.recipient.fields(),
        "type": "text",
        "text": {"body": body, "preview_url": "http" in body},
    }
    if reply_to_wamid:
        payload["context"] = {"message_id": reply_to_wamid}
    message = steps.store(route, author, agent_id, "text", body, payload,
                          context_wamid=reply_to_wamid)  # fmt: skip
    return _finish(route, message, steps.poster(route, message, payload))


@_conversation_first
def send_template(
    conversation: Conversation,
    template_id: int,
    values: dict,
    *,
    author: str,
    agent_id: int | None = None,
) -> Message:
    """An approved template in ``conversation``, from its number (no window needed)."""
    template = get_owned(Template, template_id, conversation.client_id)
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
    route = route_of(conversation)
    if template.waba_id and template.waba_id != route.number.waba_id:
        # Meta answers 132001 (template does not exist) for another WABA's template (QA16-D6).
        raise OutboundError(
            _(
                "O modelo “%(name)s” é de outra conta do WhatsApp (WABA) e não pode ser "
                "enviado pelo número “%(number)s”. Use um número da conta do modelo.",
                name=template.name,
                number=route.number.display_name or route.number.phone_number_id,
            )
        )
    to = route.recipient  # the BSUID of this number's portfolio, when no phone
    check_template_allowed(template.category, to)
    try:
        components = build_send_components(template.components, values or {})
    except ValueError as exc:
        raise OutboundError(str(exc)) from None
    rendered = render_text(template.components, values or {})
    template_obj: dict = {"name": template.name, "language": {"code": template.language}}
    if components:
        template_obj["components"] = components
    payload = {**to.fields(), "type": "template", "template": template_obj}
    message = steps.store(route, author, agent_id, "template", rendered["body"],
                          {**payload, "rendered": rendered}, template_id=template.id)  # fmt: skip
    return _finish(route, message, steps.poster(route, message, payload))


def media_type_of(mime_type: str) -> str:
    major = (mime_type or "").split("/", 1)[0].lower()
    return major if major in ("image", "audio", "video") else "document"


@_conversation_first
def send_media(
    conversation: Conversation,
    *,
    content: bytes,
    mime_type: str,
    filename: str,
    caption: str | None = None,
    author: str,
    agent_id: int | None = None,
    voice: bool = False,
) -> Message:
    """Upload ``content`` to Meta with the conversation's number, then send it
    (free-form: needs the conversation's 24-hour window). ``voice``: an OGG/Opus audio
    sent as a WhatsApp voice message (``"voice": true``)."""
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
    if not window_open(conversation):
        raise WindowClosed()
    route = route_of(conversation)
    caption = (caption or "").strip() or None
    media: dict = {"caption": caption} if caption and kind != "audio" else {}
    if kind == "document":
        media["filename"] = filename
    if voice and kind == "audio":
        media["voice"] = True
    to = route.recipient  # the BSUID of this number's portfolio, when no phone
    payload = {**to.fields(), "type": kind, kind: media}
    message = steps.store(route, author, agent_id, kind, caption or filename, payload)
    graph, pnid, mps = route.graph, route.number.phone_number_id, route.number.throughput_mps
    callback = steps.callback_data(message)
    uploaded: dict = {}

    def call() -> SendResult:
        media_id = graph.upload_message_media(pnid, content, mime_type, filename)
        uploaded.update(media_id=media_id, payload={**payload, kind: {**media, "id": media_id}})
        steps.throttle(pnid, mps)
        return graph.send_media(
            pnid,
            to,
            kind,
            media_id=media_id,
            caption=media.get("caption"),
            filename=media.get("filename"),
            callback_data=callback,
            voice=bool(media.get("voice")),
        )

    return _finish(route, message, call, uploaded)


def mark_read(client_id: int, inbound_message_id: int) -> None:
    """Tell Meta the customer's message was read (blue ticks), with the number it
    arrived to. Best effort: logged."""
    message = get_owned(Message, inbound_message_id, client_id)
    if message is None or message.direction != Direction.IN or not message.wamid:
        return
    try:
        # the number it arrived to (None: a row stored before numbers: the first number)
        credential, graph = whatsapp_for_number(client_id, message.number_id)
        graph.mark_read(credential.phone_number_id, message.wamid)
    except Exception as exc:  # never break the inbox for a read receipt
        log.warning("mark_read of message %s failed: %s", message.id, exc)


# --------------------------------------------------------------------------- outcome


def _finish(route: Route, message: Message, call: steps.Call, extra: dict | None = None) -> Message:
    """Deliver, then raise what the caller must know (window closed, Meta refused)."""
    error = steps.deliver(route, message, call, extra)
    if error is not None:
        if error.kind == GraphErrorKind.WINDOW_CLOSED:
            raise WindowClosed(message)
        if message.status == MessageStatus.FAILED:
            raise SendFailed(message)
    return message
