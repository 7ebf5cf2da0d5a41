"""Images the AI sees (issue #21): a photo of the burst goes to the model as an
``input_image`` part beside its caption.

Only the images of the burst being answered are sent (an image from ten messages ago
was seen when it arrived; sending it again on every turn would pay its tokens again).
The bytes come from ClickPro's media store as a ``data:`` URL (the store has no
public or signed URLs, and OpenAI could not reach a private deployment anyway). An
image is sent only when it is STORED, of a type OpenAI reads (JPEG, PNG, WebP, GIF) and
within the size cap (``options["image_max_kb"]``, default 1024 KB; 0 turns images
off); otherwise the model reads the text stand-in as before ("[Imagem] legenda").
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import MessageMedia
from clickpro.models.media import MediaStatus
from clickpro.services.credentials import AssistantSettings
from clickpro.services.media.store import media_store

log = logging.getLogger(__name__)

DEFAULT_IMAGE_MAX_KB = 1024
IMAGE_MAX_KB_LIMIT = 20 * 1024  # OpenAI's own per-image limit (20 MB)
IMAGE_MIMES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


def image_max_bytes(settings: AssistantSettings) -> int:
    """The cap in bytes (0: images off)."""
    raw = settings.options.get("image_max_kb")
    if isinstance(raw, bool) or raw in (None, ""):
        return DEFAULT_IMAGE_MAX_KB * 1024
    try:
        kb = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_IMAGE_MAX_KB * 1024
    return max(0, min(kb, IMAGE_MAX_KB_LIMIT)) * 1024


def image_parts(
    client_id: int, message_ids: Iterable[int], settings: AssistantSettings
) -> dict[int, dict]:
    """``{message_id: input_image part}`` for the usable images among ``message_ids``."""
    ids = list(message_ids)
    cap = image_max_bytes(settings)
    if not ids or cap <= 0:
        return {}
    rows = db.session.scalars(
        sa.select(MessageMedia).where(
            MessageMedia.client_id == client_id,
            MessageMedia.message_id.in_(ids),
            MessageMedia.status == MediaStatus.STORED,
        )
    ).all()
    parts: dict[int, dict] = {}
    for row in rows:
        mime = (row.mime or "").split(";")[0].strip().lower()
        if mime not in IMAGE_MIMES or not row.storage_key:
            continue
        if row.size is not None and row.size > cap:
            continue  # over the cap: the caption stand-in
        try:
            content = media_store().get(str(row.storage_key))
        except Exception:
            log.exception("image %s of message %s unreadable", row.id, row.message_id)
            continue
        if not content or len(content) > cap:
            continue
        data = base64.b64encode(content).decode("ascii")
        parts[row.message_id] = {
            "type": "input_image",
            "image_url": f"data:{mime};base64,{data}",
            "detail": "auto",
        }
    return parts


def with_image(text: str, part: dict | None) -> str | list[dict]:
    """A user message's content: the text alone, or the text (caption) + the image."""
    if part is None:
        return text
    return [{"type": "input_text", "text": text}, part]
