"""Media of a message, fetched from Meta on demand (never stored by ClickPro).

The media id comes from a webhook body: only digits are looked up, and the download
stays on Meta's hosts (see :mod:`clickpro.integrations.meta.media`).
"""

from __future__ import annotations

import re

from flask_babel import gettext

from clickpro.errors import ServiceError
from clickpro.integrations.meta import GraphError, UnsafeMediaURL, is_meta_id
from clickpro.models import Message
from clickpro.services.credentials import whatsapp_for
from clickpro.services.credentials.common import NoCredentials
from clickpro.services.inbox.serialize import media_id_of

_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "video/mp4": "mp4",
    "application/pdf": "pdf",
}
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class MediaUnavailable(ServiceError):
    """The media cannot be fetched; ``missing`` tells 'no such media' from 'Meta failed'."""

    def __init__(self, message: str, missing: bool = False) -> None:
        super().__init__(
            message,
            code="not_found" if missing else "media_unavailable",
            http_status=404 if missing else 502,
        )
        self.missing = missing


def filename_for(message: Message, mime_type: str) -> str:
    payload = message.payload or {}
    block = found if isinstance(found := payload.get(message.type), dict) else {}
    name = block.get("filename") if isinstance(block, dict) else None
    if name:
        return _SAFE.sub("_", name)[:120] or "arquivo"
    ext = _EXTENSIONS.get(mime_type.split(";")[0].strip(), "bin")
    return f"{message.type}-{message.id}.{ext}"


def fetch_media(message: Message) -> tuple[bytes, str, str]:
    """(content, mime_type, filename) of ``message``'s media via the client's credential."""
    media_id = media_id_of(message)
    if not media_id:
        raise MediaUnavailable(gettext("Esta mensagem não tem mídia."), missing=True)
    if not is_meta_id(media_id):  # from a webhook body: never a URL or a path of ours
        raise MediaUnavailable(
            gettext("O identificador de mídia desta mensagem é inválido."), missing=True
        )
    try:
        _, graph = whatsapp_for(message.client_id)
        info = graph.get_media(media_id)
        content = graph.download_media(info["url"])
    except NoCredentials:
        raise MediaUnavailable(
            gettext("Configure a credencial do WhatsApp para baixar mídias.")
        ) from None
    except UnsafeMediaURL:
        raise MediaUnavailable(
            gettext("Download recusado: o endereço da mídia não é um servidor da Meta.")
        ) from None
    except GraphError as exc:
        missing = exc.status_code in (400, 404)
        raise MediaUnavailable(
            gettext("A Meta não entregou a mídia: %(exc)s", exc=exc), missing=missing
        ) from None
    except (KeyError, TypeError):
        raise MediaUnavailable(gettext("Resposta inesperada da Meta para a mídia.")) from None
    mime_type = str(info.get("mime_type") or "application/octet-stream")
    return content, mime_type, filename_for(message, mime_type)
