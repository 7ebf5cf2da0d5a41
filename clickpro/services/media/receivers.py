"""``message_received`` → queue the media fetch (cheap: the job does the work)."""

from __future__ import annotations

import logging

from clickpro.extensions import db
from clickpro.jobs import QUEUE_DEFAULT, enqueue
from clickpro.models import Message
from clickpro.services.media.fetch import is_inbound_media

log = logging.getLogger(__name__)


def fetch_job_id(message_id: int) -> str:
    return f"media-fetch-{message_id}"


def on_message_received(sender=None, *, client_id: int, message_id: int, **_) -> None:
    message = db.session.get(Message, message_id)
    if message is None or message.client_id != client_id or not is_inbound_media(message):
        return
    enqueue(
        "media.fetch",
        client_id,
        message_id,
        queue=QUEUE_DEFAULT,
        job_id=fetch_job_id(message_id),
    )
