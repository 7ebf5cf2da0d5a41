"""The drain job watches the emptied hand-off list a moment (BLPOP) before it ends: a
steady trickle of inbound messages is processed by one RQ job, not one job per event."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from webhook_helpers import encode, inbound

from clickpro.extensions import db
from clickpro.models import Message, WebhookEvent
from clickpro.services.webhook.ingest import store_event
from clickpro.tasks import redis_connection
from clickpro.tasks.webhooks import PENDING_KEY, _flag, drain_pending


def _processed() -> int:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(sa.func.count(WebhookEvent.id)).where(WebhookEvent.processed_at.is_not(None))
    )


def test_an_id_pushed_while_the_job_waits_is_taken_by_the_same_job(client, shop, app):
    redis = redis_connection(app)
    redis.delete(PENDING_KEY)
    first = store_event(encode(inbound("5511987654321")))
    second = store_event(encode(inbound("5511987654322")))
    db.session.commit()
    redis.rpush(PENDING_KEY, first)
    redis.set(_flag(0), 1)

    def later() -> None:  # the next webhook's hand-off, while the job waits
        time.sleep(0.3)
        redis.rpush(PENDING_KEY, second)

    pusher = threading.Thread(target=later)
    pusher.start()
    started = time.monotonic()
    assert drain_pending(0, idle_s=3.0) == 2  # both, in this one job
    pusher.join()
    assert _processed() == 2
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 2
    assert redis.llen(PENDING_KEY) == 0
    assert not redis.exists(_flag(0))  # released: the next hand-off enqueues a fresh job
    assert time.monotonic() - started >= 0.3


def test_no_wait_under_tests_by_default(client, shop, app):
    redis = redis_connection(app)
    redis.delete(PENDING_KEY)
    started = time.monotonic()
    assert drain_pending(0) == 0  # app.testing: idle 0, returns at once
    assert time.monotonic() - started < 1.0
