"""Voice notes and the AI: a transcribed audio is the customer's text; while its
transcript is on the way the AI waits instead of answering "[áudio]".

- :func:`transcript_pending`: the burst the reply job would answer has an audio whose
  media or transcript is still coming (and it arrived less than
  :data:`TRANSCRIPT_WAIT_S` ago); the job then steps aside and a backstop job is queued
  for when the wait is over;
- :func:`on_media_updated` (``message_media_updated``, connected by the ``ai_reply``
  plugin): the transcript is done (or failed) → the reply job runs again for the
  conversation's newest inbound message (the one that answers the burst);
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


def queue_backstop(client_id: int, conversation_id: int, message_id: int) -> None:
    """The reply job again once the wait is over (a transcript that never comes)."""
    from clickpro.jobs import QUEUE_AI, enqueue, get_queue
    from clickpro.services.ai.trigger import REPLY_JOB

    if not get_queue(QUEUE_AI).is_async:
        return  # inline jobs (tests): the transcript job already ran or runs next
    enqueue(
        REPLY_JOB,
        client_id,
        conversation_id,
        message_id,
        queue=QUEUE_AI,
        job_id=f"ai-reply-{message_id}-transcript-wait",
        delay=TRANSCRIPT_WAIT_S + 1,
    )


def on_media_updated(sender=None, *, client_id: int, message_id: int, what: str = "", **_) -> None:
    """A transcript finished: answer the burst it belongs to now."""
    if what not in ("transcribed", "failed"):
        return
    from clickpro.jobs import QUEUE_AI, enqueue
    from clickpro.services.ai import reply as ai_reply
    from clickpro.services.ai.trigger import REPLY_JOB
    from clickpro.services.messaging.sender import conversation_of_inbound

    message = db.session.get(Message, message_id)
    if message is None or message.client_id != client_id or message.type != "audio":
        return
    if message.direction != Direction.IN:
        return
    conversation = conversation_of_inbound(
        client_id, message.id, message.contact_id, message.conversation_id, message.number_id
    )
    if conversation is None:
        return
    newest = db.session.scalar(
        sa.select(sa.func.max(Message.id)).where(
            Message.client_id == client_id,
            Message.contact_id == conversation.contact_id,
            Message.number_id == conversation.number_id,
            Message.direction == Direction.IN,
        )
    )
    trigger_id = int(newest or message.id)
    if not ai_reply.should_answer(client_id, conversation.id, trigger_id).answer:
        return
    enqueue(
        REPLY_JOB,
        client_id,
        conversation.id,
        trigger_id,
        queue=QUEUE_AI,
        job_id=f"ai-reply-{trigger_id}-transcript-{message.id}",
    )
