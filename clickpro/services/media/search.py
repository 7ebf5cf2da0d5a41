"""Transcripts in the inbox search: a voice note is found by what the customer said."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import Message, MessageMedia, TranscriptStatus
from clickpro.text_search import folded_contains


def transcript_has(client_id: int, term: str) -> sa.ColumnElement[bool]:
    """``Message`` has a DONE transcript containing ``term`` (accent/case-folded)."""
    return sa.exists().where(
        MessageMedia.message_id == Message.id,
        MessageMedia.client_id == client_id,
        MessageMedia.transcript_status == TranscriptStatus.DONE,
        folded_contains(MessageMedia.transcript, term),
    )
