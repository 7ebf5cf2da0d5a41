"""When an inbound message should get an AI answer, schedule the debounced reply job.

Receives ``message_received`` (connected by the ``ai_reply`` plugin, per app) and works
per conversation: the signal's ``conversation_id`` (the contact on the number it wrote
to). The job is ``ai.reply_job`` (:mod:`clickpro.tasks.ai`), enqueued by name
``AI_DEBOUNCE_S`` later with the id ``ai-reply-<message id>``, so a re-delivered signal
does not queue it twice.
"""

from __future__ import annotations

import logging

from flask import current_app

from clickpro.extensions import db
from clickpro.jobs import QUEUE_AI, enqueue
from clickpro.services.ai import reply as ai_reply
from clickpro.services.messaging.sender import conversation_of_inbound

log = logging.getLogger(__name__)
REPLY_JOB = "ai.reply_job"


def reply_job_id(message_id: int, attempt: int = 1) -> str:
    return f"ai-reply-{message_id}" if attempt == 1 else f"ai-reply-{message_id}-{attempt}"


def schedule_reply(client_id: int, conversation_id: int, message_id: int) -> None:
    """Enqueue the debounced reply job for one inbound message of a conversation."""
    delay = current_app.config["AI_DEBOUNCE_S"]
    enqueue(
        REPLY_JOB,
        client_id,
        conversation_id,
        message_id,
        queue=QUEUE_AI,
        job_id=reply_job_id(message_id),
        delay=delay if delay > 0 else None,
    )


def on_message_received(
    sender,
    *,
    client_id: int,
    message_id: int,
    contact_id: int,
    conversation_id: int | None = None,
    number_id: int | None = None,
    **_,
) -> None:
    """Schedule the reply job when the AI should handle this message (cheap checks only)."""
    try:
        conversation = conversation_of_inbound(
            client_id, message_id, contact_id, conversation_id, number_id
        )
        if conversation is None:
            log.debug("AI skips message %s: no number", message_id)
            return
        decision = ai_reply.should_answer(client_id, conversation.id, message_id)
        if not decision.answer:
            log.debug("AI skips message %s: %s", message_id, decision.reason)
            return
        schedule_reply(client_id, conversation.id, message_id)
    except Exception:
        db.session.rollback()
        log.exception("AI reply for message %s could not be scheduled", message_id)
