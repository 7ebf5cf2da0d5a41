"""Voice notes and audio → text, with the client's own OpenAI key.

The transcript is kept on ``message_media`` and, because the inbox search and the AI
context read ``messages.body``, it also replaces the body when the body is only the media
label (``[Mensagem de voz]``/``[Áudio]``, what the webhook stored for an audio without
text): the transcript becomes searchable and is what the AI reads as the customer's words.
A client without a usable OpenAI key is skipped with the reason recorded.
"""

from __future__ import annotations

import logging

from flask import current_app

from clickpro.extensions import db
from clickpro.integrations.openai import OpenAIFailure
from clickpro.models import MediaStatus, Message, MessageMedia, TranscriptStatus
from clickpro.services.costs.ai_spend import usage_cost
from clickpro.services.credentials.assistant import openai_for
from clickpro.services.credentials.common import NoCredentials
from clickpro.services.media.fetch import media_row
from clickpro.services.media.store import media_store

log = logging.getLogger(__name__)

# What ``clickpro.services.webhook.bodies`` writes for an audio message (no caption exists).
AUDIO_LABELS = frozenset({"[Áudio]", "[Mensagem de voz]", ""})


def wants_transcript(message: Message, row: MessageMedia) -> bool:
    return (
        bool(current_app.config["MEDIA_TRANSCRIBE"])
        and message.type == "audio"
        and row.status == MediaStatus.STORED
        and row.transcript_status in (None, TranscriptStatus.PENDING)
    )


def transcribe_message(client_id: int, message_id: int) -> MessageMedia | None:
    """Transcribe the stored audio of the message (once); None when there is nothing to do."""
    row = media_row(client_id, message_id)
    message = db.session.get(Message, message_id)
    if row is None or message is None or message.client_id != client_id:
        return None
    if row.transcript_status not in (None, TranscriptStatus.PENDING, TranscriptStatus.FAILED):
        return row  # DONE or SKIPPED: a re-run changes nothing
    if message.type != "audio" or row.status != MediaStatus.STORED or not row.storage_key:
        return None
    try:
        gateway = openai_for(client_id)[1]
    except NoCredentials as exc:
        return _finish(row, TranscriptStatus.SKIPPED, error=str(exc.message))
    content = media_store().get(row.storage_key)
    if content is None:
        return _finish(row, TranscriptStatus.FAILED, error="media missing from the store")
    model = str(current_app.config["MEDIA_TRANSCRIBE_MODEL"])
    try:
        result = gateway.transcribe(
            content, row.filename or f"audio-{message_id}.ogg", row.mime or "audio/ogg", model=model
        )
    except OpenAIFailure as exc:
        if exc.retryable:
            raise  # the job retries (rate limit, timeout, 5xx)
        return _finish(row, TranscriptStatus.FAILED, error=exc.message)
    usage: dict = {
        "model": result.model,
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        **usage_cost(result.model, result.input_tokens, result.output_tokens),
    }
    if result.seconds is not None:
        usage["seconds"] = result.seconds
    row.transcript = result.text
    row.transcript_usage = usage
    if result.text and (message.body or "").strip() in AUDIO_LABELS:
        message.body = result.text
    return _finish(row, TranscriptStatus.DONE)


def _finish(row: MessageMedia, status: TranscriptStatus, *, error: str | None = None):
    row.transcript_status = status
    row.transcript_error = error[:500] if error else None
    db.session.commit()
    log.info("transcript of message %s: %s %s", row.message_id, status, error or "")
    return row
