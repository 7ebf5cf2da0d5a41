"""Media of a message: fetched from Meta on demand (never stored by ClickPro), and the
check of what an agent may send.

The media id comes from a webhook body: only digits are looked up, and the download
stays on Meta's hosts (see :mod:`clickpro.integrations.meta.media`).

Outbound files (:func:`check_outbound_media`) must be a type WhatsApp accepts, by both
the file's content (magic bytes) and its extension: an ``.exe``, or an ``.exe`` renamed
``.pdf``, is refused instead of going out as a "document". The kinds and size limits are
Meta's supported media table (image JPEG/PNG 5 MB; video MP4/3GP 16 MB; audio AAC, AMR,
MP3, M4A, OGG/Opus 16 MB; documents PDF, TXT and Office 100 MB). The MIME type sent to
Meta is the detected one, never the browser's claim.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from flask_babel import gettext

from clickpro.errors import ServiceError
from clickpro.integrations.meta import GraphError, UnsafeMediaURL, is_meta_id
from clickpro.models import Message
from clickpro.services.credentials import whatsapp_for
from clickpro.services.credentials.common import NoCredentials
from clickpro.services.inbox.serialize import media_id_of
from clickpro.services.templates.media import sniff_mime

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


# --------------------------------------------------------------------------- outbound files

MB = 1024 * 1024
KIND_LIMITS = {"image": 5 * MB, "video": 16 * MB, "audio": 16 * MB, "document": 100 * MB}
# extension -> (MIME type sent to Meta, WhatsApp kind)
OUTBOUND_TYPES: dict[str, tuple[str, str]] = {
    "jpg": ("image/jpeg", "image"),
    "jpeg": ("image/jpeg", "image"),
    "png": ("image/png", "image"),
    "mp4": ("video/mp4", "video"),
    "3gp": ("video/3gpp", "video"),
    "aac": ("audio/aac", "audio"),
    "amr": ("audio/amr", "audio"),
    "mp3": ("audio/mpeg", "audio"),
    "m4a": ("audio/mp4", "audio"),
    "ogg": ("audio/ogg", "audio"),
    "opus": ("audio/ogg", "audio"),
    "pdf": ("application/pdf", "document"),
    "txt": ("text/plain", "document"),
    "doc": ("application/msword", "document"),
    "xls": ("application/vnd.ms-excel", "document"),
    "ppt": ("application/vnd.ms-powerpoint", "document"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "document",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "document",
    ),
}
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in OUTBOUND_TYPES)  # the file input's accept=
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc/.xls/.ppt (Compound File)
_OOXML_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


class MediaRefused(ServiceError):
    """An outbound file WhatsApp would not take (type or size); the message names the rule."""

    code = "media_refused"
    http_status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


class MediaTooLarge(MediaRefused):
    """Past WhatsApp's size limit for the kind (413); the message names the limit."""

    code = "media_too_large"
    http_status = 413


def too_large_text(kind: str) -> str:
    """The size refusal, e.g. "Imagem maior que 5 MB: o WhatsApp aceita até 5 MB."."""
    limit = KIND_LIMITS[kind] // MB
    if kind == "image":
        return gettext("Imagem maior que %(mb)s MB: o WhatsApp aceita até %(mb)s MB.", mb=limit)
    if kind == "video":
        return gettext("Vídeo maior que %(mb)s MB: o WhatsApp aceita até %(mb)s MB.", mb=limit)
    if kind == "audio":
        return gettext("Áudio maior que %(mb)s MB: o WhatsApp aceita até %(mb)s MB.", mb=limit)
    return gettext("Documento maior que %(mb)s MB: o WhatsApp aceita até %(mb)s MB.", mb=limit)


@dataclass(frozen=True)
class OutboundMedia:
    mime_type: str
    kind: str  # image, video, audio or document


def accepted_types_text() -> str:
    return gettext(
        "Aceitos: imagens JPG e PNG (até 5 MB); vídeos MP4 e 3GP (até 16 MB); áudios AAC, "
        "AMR, MP3, M4A e OGG/Opus (até 16 MB); documentos PDF, TXT, DOC, DOCX, XLS, XLSX, "
        "PPT e PPTX (até 100 MB)."
    )


def _looks_like_text(content: bytes) -> bool:
    sample = content[:65536]
    if b"\x00" in sample:
        return False
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the sample's end
            text = sample.decode("latin-1")
        else:
            text = sample[: exc.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)


def _content_matches(ext: str, content: bytes) -> bool:
    """Whether the bytes are really the type the extension names."""
    head = content[:64]
    sniffed = sniff_mime(content)
    if ext in ("jpg", "jpeg"):
        return sniffed == "image/jpeg"
    if ext == "png":
        return sniffed == "image/png"
    if ext == "mp4":
        return sniffed == "video/mp4"
    if ext == "3gp":
        return sniffed == "video/3gpp"
    if ext == "m4a":
        return head[4:8] == b"ftyp" and head[8:11] == b"M4A"
    if ext in ("ogg", "opus"):  # WhatsApp plays OGG with the Opus codec only
        return head.startswith(b"OggS") and b"OpusHead" in content[:512]
    if ext == "mp3":
        return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] >= 0xE0)
    if ext == "aac":
        return len(head) > 1 and head[0] == 0xFF and head[1] in (0xF1, 0xF9)
    if ext == "amr":
        return head.startswith(b"#!AMR")
    if ext == "pdf":
        return sniffed == "application/pdf"
    if ext in ("doc", "xls", "ppt"):
        return head.startswith(_OLE)
    if ext in _OOXML_PART:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return any(n.startswith(_OOXML_PART[ext]) for n in archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return False
    if ext == "txt":
        return sniffed is None and _looks_like_text(content)
    return False


def check_outbound_media(content: bytes, filename: str) -> OutboundMedia:
    """The type to send ``content`` as, or ``MediaRefused`` naming what is accepted."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not content:
        raise MediaRefused(gettext("O arquivo está vazio."))
    known = OUTBOUND_TYPES.get(ext)
    if known is None or not _content_matches(ext, content):
        detected = sniff_mime(content)
        if detected in ("application/x-msdownload", "application/x-executable"):
            reason = gettext("“%(name)s” é um programa executável.", name=filename[:80])
        elif known is None:
            reason = gettext(
                "O WhatsApp não aceita arquivos .%(ext)s.", ext=ext[:10] or gettext("sem extensão")
            )
        else:
            reason = gettext(
                "O conteúdo de “%(name)s” não é um arquivo .%(ext)s de verdade.",
                name=filename[:80],
                ext=ext,
            )
        raise MediaRefused(f"{reason} {accepted_types_text()}")
    mime_type, kind = known
    if len(content) > KIND_LIMITS[kind]:
        raise MediaTooLarge(too_large_text(kind))
    return OutboundMedia(mime_type=mime_type, kind=kind)
