"""The ``media`` object of an inbox message (bubbles, ``message:new``/``message:update``).

One query for a page of messages: the ``message_media`` rows of those that have media.
An inbound message whose row does not exist yet (the fetch job has not run) is PENDING;
an outbound one (never fetched by the job) is REMOTE. FAILED
and EXPIRED carry ``explanation`` (pt_BR, translated) and ``refetch``: whether opening it
asks Meta again (EXPIRED while Meta may still have it, or a transient failure).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import Direction, MediaStatus, Message, MessageMedia
from clickpro.services.media.fetch import GONE, expired_text, has_media

# An outbound message's media: not kept here, ``url`` fetches it from Meta when opened.
REMOTE = "REMOTE"


def kind_of(message: Message) -> str:
    """image, sticker, video, audio, voice or document."""
    if message.type == "audio":
        block = (message.payload or {}).get("audio")
        if isinstance(block, dict) and block.get("voice"):
            return "voice"
        if (message.body or "").startswith("[Mensagem de voz]"):
            return "voice"
    return message.type


def media_url(message_id: int) -> str:
    """The path of ``/media/<id>``, also outside a request (a worker emitting)."""
    if has_request_context():
        return url_for("media.message_media", message_id=message_id)
    adapter = current_app.url_map.bind("localhost")  # the app is served at "/"
    return adapter.build("media.message_media", {"message_id": message_id})


def _declared(message: Message) -> dict:
    block = (message.payload or {}).get(message.type)
    return block if isinstance(block, dict) else {}


def explanation(row: MessageMedia | None) -> str | None:
    if row is None:
        return None
    if row.status == MediaStatus.EXPIRED:
        return _(
            "Mídia apagada daqui após o prazo de guarda. Abrir tenta baixá-la de novo da Meta, "
            "se ela ainda a tiver."
        )
    if row.status == MediaStatus.FAILED:
        if row.error == GONE:
            return expired_text()
        return _("Não foi possível baixar a mídia: %(error)s", error=row.error or "?")
    return None


def can_refetch(row: MessageMedia | None) -> bool:
    return row is not None and (
        row.status == MediaStatus.EXPIRED
        or (row.status == MediaStatus.FAILED and row.error != GONE)
    )


def media_object(message: Message, row: MessageMedia | None) -> dict[str, Any]:
    declared = _declared(message)
    if row is not None:
        status = row.status
    elif message.direction == Direction.IN:
        status = MediaStatus.PENDING  # the fetch job has not run yet
    else:
        status = REMOTE
    return {
        "kind": kind_of(message),
        "url": media_url(message.id),
        "mime": (row.mime if row is not None else None) or declared.get("mime_type"),
        "size": row.size if row is not None else None,
        "filename": (row.filename if row is not None else None) or declared.get("filename"),
        "duration_s": row.duration_s if row is not None else None,
        "status": str(status),
        "transcript": row.transcript if row is not None else None,
        "transcript_status": row.transcript_status if row is not None else None,
        "explanation": explanation(row),
        "refetch": can_refetch(row),
    }


def media_objects(rows: Sequence[Message]) -> dict[int, dict[str, Any]]:
    """message id → its ``media`` object, for the messages of ``rows`` that have media."""
    with_media = [m for m in rows if isinstance(m.id, int) and has_media(m)]
    if not with_media:
        return {}
    found = {
        r.message_id: r
        for r in db.session.scalars(
            sa.select(MessageMedia).where(MessageMedia.message_id.in_([m.id for m in with_media]))
        )
    }
    out: dict[int, dict[str, Any]] = {}
    for m in with_media:
        row = found.get(m.id)
        if row is not None and row.client_id != m.client_id:
            row = None  # never another client's row
        out[m.id] = media_object(m, row)
    return out
