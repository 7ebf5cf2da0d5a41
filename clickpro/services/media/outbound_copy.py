"""A copy of what an agent sent (image, voice note, document), kept in the media store.

Meta's media ids are not ours to download later, so the bytes the agent uploaded are
stored at once as the outbound message's :class:`MessageMedia` row (STORED): the thread
then shows the agent's own image or voice note through ``/media/<message_id>`` exactly
like an inbound one, and the retention job expires it the same way.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

from flask import current_app

from clickpro.extensions import db
from clickpro.models import MediaStatus, Message, MessageMedia
from clickpro.models.base import utcnow
from clickpro.services.media.audio import ogg_duration_s
from clickpro.services.media.fetch import media_row
from clickpro.services.media.store import media_key, media_store

log = logging.getLogger(__name__)
_SAFE_NAME = re.compile(r"[^\w.\- ]+")


def keep_outbound_copy(message: Message, content: bytes, mime: str, filename: str) -> MessageMedia:
    """Store ``content`` for ``message`` (an agent's outbound media) and mark it STORED."""
    now = utcnow()
    sha = hashlib.sha256(content).hexdigest()
    key = media_key(message.client_id, sha, now)
    store = media_store()
    if not store.exists(key):
        store.put(key, content, mime)
    row = media_row(message.client_id, message.id)
    if row is None:
        row = MessageMedia(client_id=message.client_id, message_id=message.id)
        db.session.add(row)
    row.mime = mime
    row.size = len(content)
    row.sha256 = sha
    row.storage_key = key
    row.filename = _SAFE_NAME.sub("_", filename).strip().lstrip(".")[:200] or None
    row.status = MediaStatus.STORED
    row.error = None
    row.fetched_at = now
    row.expires_at = now + timedelta(days=int(current_app.config["MEDIA_RETENTION_DAYS"]))
    if mime == "audio/ogg":
        row.duration_s = ogg_duration_s(content)
    db.session.commit()
    log.info("outbound media of message %s kept (%s bytes, %s)", message.id, len(content), mime)
    return row
