"""Sending a flow's message exactly once per journal row.

The same two-phase shape as the AI reply (``services.ai.claim.take_send_slot``: the run
moves to SENDING, committed, before the WhatsApp call, and a resumed run never sends
from SENDING again). Here the slot is the journal row: ``outcome = "sending"`` plus
``detail.floor`` (the conversation's last message id at that moment) is committed
before :func:`clickpro.services.messaging.outbound.send_text` & co. Those store and
commit the outbound ``messages`` row *before* calling Meta, so after a crash:

* the row says "sent": nothing to do;
* it says "sending" and an outbound flow message (author AI) exists in the conversation
  after ``floor``: that is ours — it is linked and never sent again (whether Meta got
  it or not shows on that message's status in the inbox; a duplicate message is worse
  than a missing one, as for the AI);
* it says "sending" and no such message exists: the process died before the messages
  row was stored, so Meta was never called — it is sent now.

Simulator runs only journal the rendered message (nothing leaves the platform).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import Author, Direction, FlowRunStep, Message
from clickpro.services.flows.steps.base import Ctx

log = logging.getLogger(__name__)
FLOW_AUTHOR = Author.AI  # the bot voice in the inbox (the AI pipeline never answers in a flow)
MEDIA_MAX = 16 * 1024 * 1024
# A served Content-Type that names an accepted type under another spelling.
MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "audio/opus": "audio/ogg",
                "audio/mp3": "audio/mpeg", "audio/x-m4a": "audio/mp4"}  # fmt: skip
GENERIC_MIME = ("", "application/octet-stream", "binary/octet-stream")


def render_message(ctx: Ctx, message: Any) -> dict:
    """The step's message with its templates filled in (the shape the simulator shows)."""
    if isinstance(message, str):
        message = {"kind": "text", "text": message}
    if not isinstance(message, dict):
        return {"kind": "text", "text": ""}
    kind = message.get("kind") or "text"
    out: dict[str, Any] = {"kind": kind, "text": ctx.render(message.get("text"))}
    if kind == "buttons":
        out["buttons"] = [
            {"id": str(b.get("id") or f"btn_{i + 1}"), "title": ctx.render(b.get("title"))}
            for i, b in enumerate(message.get("buttons") or [])
            if isinstance(b, dict)
        ]
    elif kind == "list":
        out["button"] = ctx.render(message.get("button") or _("Ver opções"))
        out["sections"] = [
            {
                "title": ctx.render(s.get("title")),
                "rows": [
                    {
                        "id": str(r.get("id") or f"row_{j + 1}"),
                        "title": ctx.render(r.get("title")),
                        "description": ctx.render(r.get("description")),
                    }  # fmt: skip
                    for j, r in enumerate(s.get("rows") or [])
                    if isinstance(r, dict)
                ],
            }
            for s in message.get("sections") or []
            if isinstance(s, dict)
        ]
    elif kind == "media":
        out.update(
            media_type=str(message.get("media_type") or "image"),
            url=ctx.render(message.get("url")),
            caption=ctx.render(message.get("caption")),
            filename=ctx.render(message.get("filename")),
        )
        out["text"] = out["caption"]
    return out


def _interactive(rendered: dict) -> dict:
    """Meta's ``interactive`` object, checked by the inbox builders, with our own ids."""
    from clickpro.services.inbox import interactive

    if rendered["kind"] == "buttons":
        built = interactive.build_buttons(
            {"body": rendered["text"], "buttons": [b["title"] for b in rendered["buttons"]]}
        )
        for item, b in zip(built["action"]["buttons"], rendered["buttons"], strict=False):
            item["reply"]["id"] = b["id"][:256]
        return built
    built = interactive.build_list(
        {"body": rendered["text"], "button": rendered["button"], "sections": rendered["sections"]}
    )
    ids = [r["id"] for s in rendered["sections"] for r in s["rows"] if r["title"].strip()]
    rows = [r for s in built["action"]["sections"] for r in s["rows"]]
    for item, rid in zip(rows, ids, strict=False):
        item["id"] = rid[:200]
    return built


def _kind_name(kind: str) -> str:
    names = {"image": _("imagem"), "document": _("documento"), "video": _("vídeo"),
             "audio": _("áudio")}  # fmt: skip
    return names.get(kind, kind)


def accepted_mimes(kind: str) -> list[str]:
    """The MIME types WhatsApp takes for a media kind (the inbox composer's list)."""
    from clickpro.services.inbox.media import OUTBOUND_TYPES

    return sorted({mime for mime, k in OUTBOUND_TYPES.values() if k == kind})


def media_mime(kind: str, served: str, content: bytes) -> str:
    """The type to upload a media step's file as: the served Content-Type when WhatsApp
    accepts it for ``kind``; without one (or ``application/octet-stream``), the type the
    bytes show. Anything else is refused (``MediaRefused``, a pt_BR reason) rather than
    sent under a wrong label."""
    from clickpro.services.inbox.media import (
        KIND_LIMITS,
        MediaRefused,
        MediaTooLarge,
        too_large_text,
    )
    from clickpro.services.templates.media import sniff_mime

    accepted = accepted_mimes(kind)
    if not accepted:
        raise MediaRefused(_("Tipo de mídia desconhecido: %(kind)s.", kind=kind[:20]))
    mime = served.split(";", 1)[0].strip().lower()
    mime = MIME_ALIASES.get(mime, mime)
    if mime in GENERIC_MIME:
        mime = sniff_mime(content) or ""
    if mime not in accepted:
        raise MediaRefused(
            _("A mídia veio como “%(mime)s”, que o WhatsApp não aceita como %(kind)s "
              "(aceitos: %(accepted)s).", mime=mime[:80] or _("tipo desconhecido"),
              kind=_kind_name(kind), accepted=", ".join(accepted))
        )  # fmt: skip
    if len(content) > KIND_LIMITS[kind]:
        raise MediaTooLarge(too_large_text(kind))
    return mime


def _fetch_media(url: str) -> tuple[bytes, str]:
    """The media file of a media step and its served Content-Type (SSRF rules, size cap,
    short timeout)."""
    from clickpro.services.api import url_guard

    allow = bool(current_app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"])
    url_guard.check_url(url, allow_private=allow)
    transport = url_guard.GuardedTransport(allow_private=allow)
    chunks: list[bytes] = []
    size = 0
    with httpx.Client(transport=transport, timeout=10.0, follow_redirects=False,
                      trust_env=False) as client, client.stream("GET", url) as response:  # fmt: skip
        if response.status_code != 200:
            raise ValueError(f"media HTTP {response.status_code}")
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MEDIA_MAX:
                raise ValueError("media too large")
            chunks.append(chunk)
        served = response.headers.get("content-type", "")
    return b"".join(chunks), served


def _deliver(ctx: Ctx, rendered: dict) -> Message:
    from clickpro.services.inbox import interactive
    from clickpro.services.messaging import outbound

    conv = ctx.conversation
    assert conv is not None
    kind = rendered["kind"]
    if kind in ("buttons", "list"):
        return interactive.send_interactive(conv, _interactive(rendered), author=FLOW_AUTHOR)
    if kind == "media":
        content, served = _fetch_media(rendered["url"])
        mime_type = media_mime(rendered["media_type"], served, content)
        filename = rendered.get("filename") or rendered["url"].rsplit("/", 1)[-1][:100] or "arquivo"
        return outbound.send_media(conv, content=content, mime_type=mime_type, filename=filename,
                                   caption=rendered.get("caption") or None,
                                   author=FLOW_AUTHOR)  # fmt: skip
    return outbound.send_text(conv, rendered["text"], author=FLOW_AUTHOR)


def _stored_after(ctx: Ctx, floor: int) -> Message | None:
    conv = ctx.conversation
    assert conv is not None
    return db.session.scalar(
        sa.select(Message)
        .where(
            Message.client_id == conv.client_id,
            Message.conversation_id == conv.id,
            Message.direction == Direction.OUT,
            Message.author == FLOW_AUTHOR,
            Message.is_internal_note.is_(False),
            Message.id > floor,
        )
        .order_by(Message.id)
        .limit(1)
    )


def _floor(ctx: Ctx) -> int:
    conv = ctx.conversation
    assert conv is not None
    value = db.session.scalar(
        sa.select(sa.func.max(Message.id)).where(
            Message.client_id == conv.client_id, Message.conversation_id == conv.id
        )
    )
    return int(value or 0)


def send(ctx: Ctx, row: FlowRunStep, message: Any, *, rendered: dict | None = None) -> int | None:
    """Send ``message`` for journal row ``row``, at most once; the messages row id (live)."""
    detail = dict(row.detail or {})
    state = detail.get("send")
    if state in ("sent", "failed"):
        return row.message_id
    rendered = (
        detail.get("message") if state == "sending" else (rendered or render_message(ctx, message))
    )
    if not ctx.live:
        ctx.update_row(row, outcome="sent", message=rendered, send="sent")
        db.session.commit()
        return None
    if state == "sending":
        found = _stored_after(ctx, int(detail.get("floor") or 0))
        if found is not None:
            row.message_id = found.id
            ctx.update_row(row, outcome="sent", send="sent", resolved=True)
            db.session.commit()
            return found.id
    else:
        ctx.update_row(row, outcome="sending", message=rendered, send="sending", floor=_floor(ctx))
        db.session.commit()
    assert rendered is not None
    try:
        sent = _deliver(ctx, rendered)
    except Exception as exc:  # window closed, Meta refused, media unreachable...
        db.session.rollback()
        failed = getattr(exc, "row", None) or getattr(exc, "args", [None])[0]
        message_id = failed.id if isinstance(failed, Message) else None
        log.warning("flow run %s: send failed: %s", ctx.run.id, exc)
        row = db.session.get(FlowRunStep, row.id) or row
        row.message_id = message_id
        ctx.update_row(row, outcome="send_failed", send="failed", error=str(exc)[:300])
        db.session.commit()
        return None
    row = db.session.get(FlowRunStep, row.id) or row
    row.message_id = sent.id
    ctx.update_row(row, outcome="sent", send="sent")
    db.session.commit()
    return sent.id
