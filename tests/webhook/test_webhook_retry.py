"""Processing failures: kept with the error, retried with backoff, processed exactly once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from webhook_helpers import inbound, post

from clickpro.extensions import db
from clickpro.models import Message, WebhookEvent
from clickpro.models.base import utcnow
from clickpro.services.webhook import inbound as webhook_ingest_inbound
from clickpro.services.webhook.ingest import due_event_ids, reprocess_events
from clickpro.tasks import QUEUE_WEBHOOKS, make_worker, redis_connection
from clickpro.tasks.webhooks import PENDING_KEY, retry_unprocessed


def _inject_db_error(monkeypatch, times: int = 1) -> list[int]:
    calls = []
    real = webhook_ingest_inbound.insert_message

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError(
                "INSERT INTO messages", {}, Exception("server closed the connection")
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(webhook_ingest_inbound, "insert_message", flaky)
    return calls


def _event() -> WebhookEvent:
    db.session.expire_all()
    return db.session.scalar(sa.select(WebhookEvent))


def _messages() -> int:
    return db.session.scalar(sa.select(sa.func.count(Message.id)))


def test_failure_is_recorded_then_retried_exactly_once(client, shop, monkeypatch, spy):
    received = spy("message_received")
    _inject_db_error(monkeypatch)
    assert post(client, inbound("5511987654321")).status_code == 200
    event = _event()
    assert event.processed_at is None and event.attempts == 1
    assert "OperationalError" in event.error
    assert event.next_attempt_at > utcnow()  # backoff
    assert _messages() == 0 and received.calls == []
    assert due_event_ids() == []  # not before the backoff
    later = utcnow() + timedelta(hours=2)
    assert retry_unprocessed(now=later) == 1
    event = _event()
    assert event.processed_at is not None and event.error is None and event.attempts == 2
    assert _messages() == 1 and len(received.calls) == 1
    assert retry_unprocessed(now=later + timedelta(hours=2)) == 0
    assert _messages() == 1 and len(received.calls) == 1


def test_backoff_grows_and_max_attempts_stops(client, shop, monkeypatch, app):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 4
    _inject_db_error(monkeypatch, times=99)
    post(client, inbound("5511987654321"))
    delays = []
    now = utcnow()
    for _ in range(2):
        event = _event()
        delays.append((event.next_attempt_at - utcnow()).total_seconds())
        now = event.next_attempt_at + timedelta(seconds=1)
        retry_unprocessed(now=now)
    event = _event()
    delays.append((event.next_attempt_at - utcnow()).total_seconds())
    assert event.attempts == 3 and event.processed_at is None and event.dead_at is None
    assert delays[0] < delays[1] < delays[2]
    retry_unprocessed(now=event.next_attempt_at + timedelta(seconds=1))  # the last attempt
    event = _event()
    assert event.attempts == 4 and event.processed_at is None
    assert event.dead_at is not None and "OperationalError" in event.error  # dead letter
    assert due_event_ids(now + timedelta(days=30)) == []  # given up: left for the admin
    monkeypatch.undo()
    assert reprocess_events([event.id]) == 1
    assert _messages() == 1


def test_unrouted_event_is_routed_by_reprocess_after_credential_added(
    client, create_client, create_whatsapp_credential
):
    post(client, inbound("5511987654321"))
    event = _event()
    assert event.routed is False
    tenant = create_client("Nova loja")
    create_whatsapp_credential(tenant)
    assert reprocess_events([event.id]) == 1
    event = _event()
    assert event.routed is True and event.client_id == tenant.id
    assert _messages() == 1
    assert reprocess_events([event.id]) == 1  # idempotent
    assert _messages() == 1


def test_lost_hand_off_is_picked_up_after_grace(client, shop, app):
    from clickpro.services.webhook.ingest import store_event

    event_id = store_event(b'{"object":"whatsapp_business_account","entry":[]}')
    assert due_event_ids() == []
    assert due_event_ids(utcnow() + timedelta(minutes=5)) == [event_id]


def test_queued_path_through_rq(client, shop, app):
    """EMBEDDED off, RQ async: the ack only stores and enqueues; a worker drains."""
    app.config.update(EMBEDDED=False, RQ_ASYNC=True)
    redis_connection(app).delete(PENDING_KEY)
    payloads = [inbound("5511987654321") for _ in range(3)]
    for payload in payloads:
        assert post(client, payload).status_code == 200
    assert _messages() == 0
    assert db.session.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 3
    worker = make_worker(app, [QUEUE_WEBHOOKS], embedded=True)
    worker.work(burst=True)
    db.session.expire_all()
    assert _messages() == 3
    events = db.session.scalars(sa.select(WebhookEvent)).all()
    assert all(e.processed_at is not None and e.attempts == 1 for e in events)
    assert redis_connection(app).llen(PENDING_KEY) == 0


def test_processing_error_in_receiver_never_reaches_meta(client, shop, spy):
    from clickpro import events

    def broken(sender, **kwargs):
        raise RuntimeError("inbox down")

    events.message_received.connect(broken)
    try:
        assert post(client, inbound("5511987654321")).status_code == 200
    finally:
        events.message_received.disconnect(broken)
    assert _event().processed_at is not None and _messages() == 1


def test_batch_with_a_bad_event_falls_back_one_by_one(client, shop, app):
    """A drained batch holding one malformed event: the others still land, once."""
    app.config.update(EMBEDDED=False, RQ_ASYNC=True)
    redis_connection(app).delete(PENDING_KEY)
    good = [inbound("5511987654321") for _ in range(3)]
    post(client, good[0])
    post(client, {"entry": "not a list"})
    post(client, good[1])
    post(client, good[2])
    make_worker(app, [QUEUE_WEBHOOKS], embedded=True).work(burst=True)
    db.session.expire_all()
    assert _messages() == 3
    events = db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id)).all()
    assert [e.error is None for e in events] == [True, False, True, True]
    assert [e.dead_at is None for e in events] == [True, False, True, True]
    assert all(e.attempts == 1 for e in events)
    assert [e.processed_at is not None for e in events] == [True, False, True, True]
