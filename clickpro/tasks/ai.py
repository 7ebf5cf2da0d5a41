"""AI-reply jobs (queue ``QUEUE_AI``).

Debounce: every inbound message the AI should handle schedules ``reply_job`` for itself
(:func:`clickpro.services.ai.trigger.schedule_reply`)
``AI_DEBOUNCE_S`` later (job id ``ai-reply-<message id>``: a re-delivered signal does
not queue it twice). When a job runs and a newer inbound message of the same
conversation exists, it steps aside: the newest message's job answers the whole burst at once. The
claim in the database (``clickpro.models.ai``), not the job ids, guarantees one answer
per inbound message whatever the number of workers.

Retries: a transient OpenAI failure returns ``retry_in``; the job re-enqueues itself
with that delay and ``attempt + 1`` (bounded by ``AI_MAX_ATTEMPTS``). With
``RQ_ASYNC=False`` (tests) the delay is skipped and the retry runs at once.
"""

from __future__ import annotations

import logging

from clickpro.services.ai import reply as ai_reply
from clickpro.services.ai import voice_wait
from clickpro.services.ai.trigger import reply_job_id as job_id
from clickpro.tasks import QUEUE_AI, enqueue

log = logging.getLogger(__name__)


def reply_job(client_id: int, conversation_id: int, message_id: int, attempt: int = 1) -> dict:
    """Job: answer the conversation up to ``message_id`` (or step aside / hand off).

    (Before conversations, the second argument was a contact id: such a job, still
    queued at an upgrade, finds its message outside that conversation and skips.)
    """
    outcome = ai_reply.answer_conversation(client_id, conversation_id, message_id, attempt=attempt)
    log.info("AI reply for message %s (attempt %s): %s", message_id, attempt, outcome)
    if outcome.reason == "transcript_pending":
        voice_wait.queue_backstop(client_id, conversation_id, message_id)
    if outcome.retry_in is not None:
        enqueue(
            reply_job,
            client_id,
            conversation_id,
            message_id,
            attempt + 1,
            queue=QUEUE_AI,
            job_id=job_id(message_id, attempt + 1),
            delay=outcome.retry_in,
        )
    return outcome.as_dict()
