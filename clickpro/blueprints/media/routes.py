"""``GET /media/<message_id>``: a message's media, from the store (fetched from Meta once).

Only members of the message's client reach it (another client's id is a 404, like a
message without media). Images, audio and video are served inline with their stored type
(audio and video answer Range requests, so players can seek); anything else is an
attachment. ``nosniff`` always, and a sandboxing CSP for everything but images, so a
customer's HTML or SVG "document" can never run in the panel's origin. Media not stored
yet, or expired, is fetched again from Meta; when Meta no longer has it: 410 with the
explanation in ``error.message``.
"""

from __future__ import annotations

import io
from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, send_file

from clickpro.blueprints.errors import json_error
from clickpro.extensions import db
from clickpro.guards import client_required
from clickpro.jobs import QUEUE_DEFAULT, enqueue, get_queue
from clickpro.models import MediaStatus, Message, MessageMedia
from clickpro.services.media.fetch import (
    GONE,
    MediaFetchError,
    ensure_row,
    expired_text,
    fetch_and_store,
    has_media,
    is_available,
    media_row,
)
from clickpro.services.media.receivers import fetch_job_id
from clickpro.services.media.shape import media_object
from clickpro.services.media.store import media_store
from clickpro.tenancy import get_owned_or_404

bp = Blueprint("media", __name__, url_prefix="/media")

# Inline only for types a browser renders without running anything (no SVG: it scripts).
INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/amr",
        "audio/opus",
        "audio/wav",
        "video/mp4",
        "video/3gpp",
        "video/webm",
    }
)
SANDBOX_CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


@bp.get("/<int:message_id>")
@client_required
def message_media(message_id: int) -> Response:
    message = get_owned_or_404(Message, message_id)
    if not has_media(message):
        abort(404)
    try:
        row = fetch_and_store(message.client_id, message.id)
    except LookupError:
        abort(404)
    except MediaFetchError as exc:  # 410 media_expired / 502 media_unavailable
        response = json_error(exc)
        response.headers["Cache-Control"] = "no-store"
        return response
    return _serve(row)


@bp.post("/<int:message_id>/fetch")
@client_required
def refetch(message_id: int):
    """Queue the fetch again (expired, or a transient failure): the bubble shows
    "baixando mídia…" and is replaced live when the job ends. Meta no longer has it: 410
    with the explanation; already stored: 200 with nothing queued."""
    message = get_owned_or_404(Message, message_id)
    if not has_media(message):
        abort(404)
    row = ensure_row(message)
    if is_available(row):
        return jsonify(queued=False, media=media_object(message, row))
    if row.status == MediaStatus.FAILED and row.error == GONE:
        response = json_error(MediaFetchError(expired_text(), gone=True))
        response.headers["Cache-Control"] = "no-store"
        return response
    enqueue(
        "media.fetch",
        message.client_id,
        message.id,
        queue=QUEUE_DEFAULT,
        job_id=fetch_job_id(message.id),
    )
    db.session.expire_all()
    current = media_row(message.client_id, message.id)
    shaped = media_object(message, current)
    if get_queue(QUEUE_DEFAULT).is_async:  # a worker fetches it: "baixando mídia…" meanwhile
        shaped.update(status=str(MediaStatus.PENDING), explanation=None, refetch=False)
    return jsonify(queued=True, media=shaped), 202


def _serve(row: MessageMedia) -> Response:
    mime = row.mime or "application/octet-stream"
    inline = mime in INLINE_TYPES
    name = row.filename or f"media-{row.message_id}"  # sanitized when stored (fetch.py)
    store = media_store()
    key = str(row.storage_key)
    source: Path | io.BytesIO | None = store.local_path(key)
    if source is None:
        content = store.get(key)
        if content is None:
            abort(404)
        source = io.BytesIO(content)  # sized: Range works too
    response = send_file(
        source,
        mimetype=mime,
        as_attachment=not inline,
        download_name=name,
        conditional=True,  # ETag, If-None-Match, Range (seek in audio and video)
        etag=row.sha256 or True,
        max_age=3600,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    if not mime.startswith("image/") or not inline:
        response.headers["Content-Security-Policy"] = SANDBOX_CSP
    return response
