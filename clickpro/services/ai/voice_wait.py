"""The AI reply job around a voice note still being transcribed.

The reply job steps aside while a transcript is on the way
(:func:`clickpro.services.media.ai.transcript_pending`); these run it again:

- :func:`queue_backstop`: once the wait is over (a transcript that never comes);
- :func:`on_media_updated` (``message_media_updated``, connected by the ``ai_reply``
  plugin): the transcript is done (or failed) → the reply job for the conversation's
  newest inbound message (the one that answers the burst).

They sit above both the AI reply and the media package, so neither imports the other
back (tests/foundation/test_layers.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Direction, Message
from clickpro.services.media.ai import TRANSCRIPT_WAIT_S


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
