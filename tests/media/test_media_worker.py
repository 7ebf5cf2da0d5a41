"""The real queue path: the webhook is acked, a worker (RQ, burst) processes it, the
``message_received`` receiver queues the media fetch, which queues the transcript."""

from __future__ import annotations

import sqlalchemy as sa
from media_helpers import media_of, opus_note
from rq import Queue

from clickpro.jobs import QUEUE_DEFAULT, enqueue
from clickpro.models import (
    MediaStatus,
    Message,
    MessageMedia,
    OpenAICredential,
    TranscriptStatus,
)
from clickpro.services.media.receivers import fetch_job_id
from clickpro.tasks import ALL_QUEUES, make_worker, redis_connection


def test_voice_note_through_rq_workers(shop, db, app):
    from clickpro.crypto import encrypt, last4

    db.session.add(
        OpenAICredential(
            client_id=shop.a.id,
            api_key_enc=encrypt("sk-worker-0001"),
            key_last4=last4("sk-worker-0001"),
            model="gpt-4.1-mini",
            status="VALID",
        )
    )
    db.session.commit()
    app.config.update(EMBEDDED=False, RQ_ASYNC=True)
    note = opus_note("Pode me ligar amanhã?")
    media_id = shop.sandbox.add_media(note, "audio/ogg")
    sent = shop.sandbox.simulate_inbound(
        "100000000000011",
        "5511987654321",
        message={
            "type": "audio",
            "audio": {"id": media_id, "mime_type": "audio/ogg", "voice": True},
        },
    )
    shop.sandbox.flush()
    assert db.session.scalar(sa.select(sa.func.count(MessageMedia.id))) == 0  # only acked
    make_worker(app, ALL_QUEUES, embedded=True).work(burst=True)

    db.session.expire_all()
    message = db.session.scalar(sa.select(Message).where(Message.wamid == sent["id"]))
    row = media_of(db, message)
    assert row.status == MediaStatus.STORED
    assert row.transcript_status == TranscriptStatus.DONE
    assert message.body == "Pode me ligar amanhã?"
    assert shop.sandbox.media[media_id]["downloads"] == 1

    # Queued again (a re-delivery, a retry): the worker finds it stored, no new download.
    enqueue(
        "media.fetch", shop.a.id, message.id, queue=QUEUE_DEFAULT, job_id=fetch_job_id(message.id)
    )
    assert Queue(QUEUE_DEFAULT, connection=redis_connection(app)).count == 1
    make_worker(app, ALL_QUEUES, embedded=True).work(burst=True)
    assert shop.sandbox.media[media_id]["downloads"] == 1
    assert shop.sandbox.openai_counts["transcriptions"] == 1
