"""Fetch a message's media from Meta once and keep it in the client's media store.

The credential used is the one of the NUMBER the message arrived on (``messages.number_id``;
media ids are only readable with that number's token). A message whose media is already
STORED (and still in the store) is never downloaded again: a second webhook delivery, a
second job or a second page view reads the store. An EXPIRED or lost file is fetched again
on demand while Meta still has it; Meta's media ids do not live forever, and once Meta
answers "not found" the row is FAILED with :data:`GONE` and the page explains it (410).
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.integrations.meta import GraphError, UnsafeMediaURL, is_meta_id
from clickpro.models import Direction, MediaStatus, Message, MessageMedia
from clickpro.models.base import utcnow
from clickpro.schemas.messages import media_id_of
from clickpro.services.credentials.common import NoCredentials
from clickpro.services.credentials.numbers import whatsapp_for_number
from clickpro.services.media.audio import ogg_duration_s
from clickpro.services.media.store import media_key, media_store

log = logging.getLogger(__name__)

MEDIA_KINDS = frozenset({"image", "sticker", "video", "audio", "document"})
GONE = "gone"  # ``error`` of a row whose media Meta no longer has
_SAFE_NAME = re.compile(r"[^\w.\- ]+")
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "application/pdf": "pdf",
    "text/plain": "txt",
}


class MediaFetchError(ServiceError):
    """The media could not be fetched; ``gone``: Meta no longer has it (410)."""

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(
            message,
            code="media_expired" if gone else "media_unavailable",
            http_status=410 if gone else 502,
        )
        self.gone = gone


def has_media(message: Message) -> bool:
    return message.type in MEDIA_KINDS and bool(media_id_of(message))


def media_row(client_id: int, message_id: int) -> MessageMedia | None:
    return db.session.scalar(
        sa.select(MessageMedia).where(
            MessageMedia.client_id == client_id, MessageMedia.message_id == message_id
        )
    )


def ensure_row(message: Message) -> MessageMedia:
    """The message's media row, created PENDING (race-free: unique message_id)."""
    row = media_row(message.client_id, message.id)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = MessageMedia(
                client_id=message.client_id,
                message_id=message.id,
                status=MediaStatus.PENDING,
                filename=_declared_filename(message),
            )
            db.session.add(row)
    except sa.exc.IntegrityError:
        row = media_row(message.client_id, message.id)
        assert row is not None
    db.session.commit()
    return row


def is_available(row: MessageMedia) -> bool:
    """STORED and the bytes are really in the store."""
    return (
        row.status == MediaStatus.STORED
        and bool(row.storage_key)
        and media_store().exists(str(row.storage_key))
    )


def fetch_and_store(client_id: int, message_id: int) -> MessageMedia:
    """The message's stored media, downloading it from Meta only when not available.

    Raises :class:`MediaFetchError` (row FAILED) when Meta refuses or no longer has it;
    ``LookupError`` when the message is not the client's or has no media.
    """
    message = db.session.scalar(
        sa.select(Message).where(Message.client_id == client_id, Message.id == message_id)
    )
    if message is None or not has_media(message):
        raise LookupError(message_id)
    row = ensure_row(message)
    if is_available(row):
        return row
    if row.status == MediaStatus.FAILED and row.error == GONE:
        raise MediaFetchError(expired_text(), gone=True)  # Meta said so: never ask again
    try:
        content, mime = _download(message)
    except MediaFetchError as exc:
        row.status = MediaStatus.FAILED
        row.error = GONE if exc.gone else str(exc.message)[:500]
        db.session.commit()
        raise
    _store(row, message, content, mime)
    return row


def _download(message: Message) -> tuple[bytes, str]:
    media_id = str(media_id_of(message) or "")
    if not is_meta_id(media_id):  # from a webhook body: never a URL or a path of ours
        raise MediaFetchError(_("O identificador de mídia desta mensagem é inválido."))
    try:
        graph = whatsapp_for_number(message.client_id, message.number_id)[1]
        info = graph.get_media(media_id)
        content = graph.download_media(info["url"])
    except NoCredentials as exc:
        raise MediaFetchError(str(exc.message)) from None
    except UnsafeMediaURL:
        raise MediaFetchError(
            _("Download recusado: o endereço da mídia não é um servidor da Meta.")
        ) from None
    except GraphError as exc:
        if exc.status_code in (400, 404, 410):  # Meta forgot the id (its media expire)
            raise MediaFetchError(expired_text(), gone=True) from None
        raise MediaFetchError(_("A Meta não entregou a mídia: %(exc)s", exc=exc)) from None
    except (KeyError, TypeError):
        raise MediaFetchError(_("Resposta inesperada da Meta para a mídia.")) from None
    mime = str(info.get("mime_type") or _declared_mime(message) or "application/octet-stream")
    return content, mime.split(";")[0].strip().lower()[:120]


def expired_text() -> str:
    return _(
        "Mídia expirada: o arquivo já foi apagado daqui (prazo de guarda) e a Meta não o "
        "oferece mais. Peça ao contato que envie de novo."
    )


def _store(row: MessageMedia, message: Message, content: bytes, mime: str) -> None:
    now = utcnow()
    sha = hashlib.sha256(content).hexdigest()
    key = media_key(message.client_id, sha, now)
    store = media_store()
    if not store.exists(key):
        store.put(key, content, mime)
    row.mime = mime
    row.size = len(content)
    row.sha256 = sha
    row.storage_key = key
    row.filename = row.filename or default_filename(message, mime)
    row.status = MediaStatus.STORED
    row.error = None
    row.fetched_at = now
    row.expires_at = now + timedelta(days=int(current_app.config["MEDIA_RETENTION_DAYS"]))
    if message.type == "audio" and row.duration_s is None and mime == "audio/ogg":
        row.duration_s = ogg_duration_s(content)
    db.session.commit()
    log.info("media of message %s stored (%s bytes, %s)", message.id, len(content), mime)


def _block(message: Message) -> dict:
    payload = message.payload or {}
    block = payload.get(message.type)
    return block if isinstance(block, dict) else {}


def _declared_mime(message: Message) -> str | None:
    value = _block(message).get("mime_type")
    return str(value) if value else None


def _declared_filename(message: Message) -> str | None:
    name = _block(message).get("filename")
    if not name:
        return None
    return _SAFE_NAME.sub("_", str(name)).strip().lstrip(".")[:200] or None


def default_filename(message: Message, mime: str) -> str:
    ext = _EXTENSIONS.get(mime, "bin")
    return f"{message.type}-{message.id}.{ext}"


def is_inbound_media(message: Message) -> bool:
    return message.direction == Direction.IN and has_media(message)
