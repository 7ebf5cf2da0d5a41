"""Voice notes and the AI: a transcribed audio is the customer's text; while its
transcript is on the way the AI waits instead of answering "[áudio]".

- :func:`transcript_pending`: the burst the reply job would answer has an audio whose
  media or transcript is still coming (and it arrived less than
  :data:`TRANSCRIPT_WAIT_S` ago); the job then steps aside (the re-runs live in
  :mod:`clickpro.services.ai.voice_wait`, above the AI reply in the layers);
- :func:`transcribed_ids`: which audio messages have a DONE transcript (``messages.body``
  then holds it: :mod:`clickpro.services.media.transcribe`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from clickpro.extensions import db
from clickpro.models import Direction, MediaStatus, Message, MessageMedia, TranscriptStatus

log = logging.getLogger(__name__)

TRANSCRIPT_WAIT_S = 90  # at most this long after the voice note the AI answers anyway


def transcript_pending(
    client_id: int, thread_condition: sa.ColumnElement[bool], upto_id: int, now: datetime
) -> bool:
    """An inbound audio of the thread (``thread_condition`` on ``Message``), up to
    ``upto_id`` and recent, still waits for its media or its transcript."""
    if not current_app.config["MEDIA_TRANSCRIBE"]:
        return False
    since = now - timedelta(seconds=TRANSCRIPT_WAIT_S)
    waiting = sa.or_(
        MessageMedia.id.is_(None),  # the fetch job has not run yet
        MessageMedia.status == MediaStatus.PENDING,
        sa.and_(
            MessageMedia.status == MediaStatus.STORED,
            sa.or_(
                MessageMedia.transcript_status.is_(None),
                MessageMedia.transcript_status == TranscriptStatus.PENDING,
            ),
        ),
    )
    stmt = (
        sa.select(Message.id)
        .outerjoin(
            MessageMedia,
            sa.and_(MessageMedia.message_id == Message.id, MessageMedia.client_id == client_id),
        )
        .where(
            Message.client_id == client_id,
            thread_condition,
            Message.direction == Direction.IN,
            Message.type == "audio",
            Message.id <= upto_id,
            Message.created_at >= since,
            waiting,
        )
        .limit(1)
    )
    return db.session.scalar(stmt) is not None


def transcribed_ids(client_id: int, message_ids: Iterable[int]) -> set[int]:
    ids = list(message_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(MessageMedia.message_id).where(
                MessageMedia.client_id == client_id,
                MessageMedia.message_id.in_(ids),
                MessageMedia.transcript_status == TranscriptStatus.DONE,
                sa.func.length(sa.func.coalesce(MessageMedia.transcript, "")) > 0,
            )
        )
    )
