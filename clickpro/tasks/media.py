"""Media jobs: fetch an inbound message's media once, transcribe audio, expire old files."""

from __future__ import annotations

import logging

from rq import Retry

from clickpro.jobs import QUEUE_AI, enqueue
from clickpro.services.media import retention
from clickpro.services.media.fetch import MediaFetchError, fetch_and_store
from clickpro.services.media.transcribe import transcribe_message, wants_transcript

log = logging.getLogger(__name__)


def fetch(client_id: int, message_id: int) -> str:
    """Download and store the media (no-op when already stored), then queue the transcript."""
    from clickpro.extensions import db
    from clickpro.models import Message

    try:
        row = fetch_and_store(client_id, message_id)
    except LookupError:
        return "no media"
    except MediaFetchError as exc:  # recorded on the row; a page view tries again
        log.warning("media of message %s not fetched: %s", message_id, exc.message)
        _updated(client_id, message_id, "failed")
        return "failed"
    message = db.session.get(Message, message_id)
    if message is not None and wants_transcript(message, row):
        _mark_transcript_pending(row)
        enqueue(
            "media.transcribe",
            client_id,
            message_id,
            queue=QUEUE_AI,
            job_id=f"media-transcribe-{message_id}",
            retry=Retry(max=3, interval=[10, 60, 300]),
        )
    _updated(client_id, message_id, "fetched")
    return "stored"


def transcribe(client_id: int, message_id: int) -> str | None:
    row = transcribe_message(client_id, message_id)
    if row is not None:
        _updated(client_id, message_id, "transcribed")
    return None if row is None else str(row.transcript_status)


def _mark_transcript_pending(row) -> None:
    """Queued: the inbox shows "transcrevendo…" and the AI waits (unless already done)."""
    import sqlalchemy as sa

    from clickpro.extensions import db
    from clickpro.models import MessageMedia, TranscriptStatus

    db.session.execute(
        sa.update(MessageMedia)
        .where(MessageMedia.id == row.id, MessageMedia.transcript_status.is_(None))
        .values(transcript_status=TranscriptStatus.PENDING)
    )
    db.session.commit()


def _updated(client_id: int, message_id: int, what: str) -> None:
    """``message_media_updated``: the live inbox bubble, the AI waiting for a transcript."""
    from clickpro.events import message_media_updated, send_safely

    send_safely(message_media_updated, client_id=client_id, message_id=message_id, what=what)


def expire() -> int:
    return retention.expire_due()
