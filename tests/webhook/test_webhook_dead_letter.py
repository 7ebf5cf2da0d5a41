"""Attack: one bad event must never stall the others (RecursionError, crashes, any type).

Before the fix a signed 1,000-deep body raised ``RecursionError`` out of the worker: the
drained batch was lost from the hand-off, ``retry_unprocessed`` crashed every minute
without counting attempts, and no tenant's events were processed any more.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from webhook_helpers import encode, inbound, post

from clickpro.extensions import db
from clickpro.models import Message, WebhookEvent
from clickpro.models.base import utcnow
from clickpro.services.webhook import ingest, route
from clickpro.services.webhook.ingest import (
    dead_letter_count,
    discard_events,
    process_events,
    store_event,
)
from clickpro.tasks import QUEUE_WEBHOOKS, make_worker, redis_connection
from clickpro.tasks.webhooks import PENDING_KEY, retry_unprocessed

# Stored straight in the table (as a body accepted before the depth cap existed would be).
DEEP = b'{"entry":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _events() -> list[WebhookEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id)))


def _messages() -> int:
    return db.session.scalar(sa.select(sa.func.count(Message.id)))


def test_recursion_error_in_a_drained_batch_costs_only_that_event(client, shop, app):
    app.config.update(EMBEDDED=False, RQ_ASYNC=True, WEBHOOK_MAX_ATTEMPTS=2)
    redis = redis_connection(app)
    redis.delete(PENDING_KEY)
    post(client, inbound("5511987654321"))
    deep_id = store_event(DEEP)
    redis.rpush(PENDING_KEY, deep_id)
    post(client, inbound("5511987654322"))
    make_worker(app, [QUEUE_WEBHOOKS], embedded=True).work(burst=True)

    good1, deep, good2 = _events()
    assert _messages() == 2
    assert good1.processed_at and good2.processed_at
    assert good1.attempts == good2.attempts == 1
    assert deep.processed_at is None and deep.attempts == 1 and "RecursionError" in deep.error
    assert deep.dead_at is not None  # an unparsable body: no retry can fix it
    assert dead_letter_count() == 1
    assert retry_unprocessed(now=utcnow() + timedelta(days=3)) == 0  # never crashes
    assert _events()[1].attempts == 1  # and leaves the dead letter alone


def test_recursion_error_while_processing_is_retried_then_dead_lettered(
    client, shop, app, monkeypatch
):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 2
    real = route.process_payload

    def deep_bug(data, signer=None):
        if data.get("poison"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(data, signer)

    monkeypatch.setattr(ingest, "process_payload", deep_bug)
    payload = inbound("5511987654321")
    payload["poison"] = True
    bad = store_event(encode(payload))
    good = store_event(encode(inbound("5511987654322")))
    assert process_events([bad, good]) == 1
    event = db.session.get(WebhookEvent, bad)
    db.session.refresh(event)
    assert event.attempts == 1 and event.dead_at is None and "RecursionError" in event.error
    assert retry_unprocessed(now=utcnow() + timedelta(hours=3)) == 0
    db.session.refresh(event)
    assert event.attempts == 2 and event.dead_at is not None
    assert retry_unprocessed(now=utcnow() + timedelta(days=3)) == 0
    db.session.refresh(event)
    assert event.attempts == 2 and _messages() == 1


def test_any_exception_type_counts_on_its_event_alone(client, shop, app, monkeypatch):
    """A bug that raises an odd exception for one event: the rest of the batch lands."""
    real = route.process_payload

    class Weird(Exception):
        pass

    def flaky(data, signer=None):
        if data.get("poison"):
            raise Weird("boom")
        return real(data, signer)

    monkeypatch.setattr(ingest, "process_payload", flaky)
    ids = []
    for n in range(5):
        payload = inbound(f"551198765432{n}")
        if n == 2:
            payload["poison"] = True
        ids.append(store_event(encode(payload)))
    assert process_events(ids) == 4
    events = _events()
    assert [e.processed_at is not None for e in events] == [True, True, False, True, True]
    assert [e.attempts for e in events] == [1, 1, 1, 1, 1]
    assert "Weird: boom" in events[2].error and _messages() == 4


def test_worker_that_died_mid_event_still_spent_an_attempt(client, shop, app):
    """The attempt is counted at the claim: a crash (kill -9, OOM) cannot loop forever."""
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 2
    event_id = store_event(encode(inbound("5511987654321")))
    now = utcnow()
    for n in (1, 2):
        ingest._claim([event_id], now)  # claimed, then the worker "dies"
        db.session.expire_all()
        assert db.session.get(WebhookEvent, event_id).attempts == n
        now += timedelta(seconds=ingest.LEASE_S + 1)
    assert retry_unprocessed(now=now) == 0
    event = db.session.get(WebhookEvent, event_id)
    db.session.refresh(event)
    assert event.dead_at is not None and "nunca terminou" in event.error


def test_dead_letter_shown_to_the_super_admin_with_reprocess_and_discard(
    client, shop, app, create_user, login_as
):
    admin = create_user("root@example.com", is_super_admin=True)
    good = store_event(encode(inbound("5511987654321")))
    bad = store_event(encode({"entry": "not a list"}))
    process_events([good, bad])
    assert dead_letter_count() == 1
    health = client.get("/healthz").get_json()
    assert health["details"]["webhook_dead_letters"] == 1

    login_as(admin)
    page = client.get("/admin/admin_webhook_dead_letters/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "formato desconhecido" in html  # the error is shown
    assert f'value="{bad}"' in html and f'value="{good}"' not in html
    assert "Reprocessar" in html and "Descartar" in html

    response = client.post(
        "/admin/admin_webhook_dead_letters/action/",
        data={"action": "reprocess", "rowid": [str(bad)]},
    )
    assert response.status_code == 302
    assert dead_letter_count() == 1  # reprocessed, still invalid: dead again
    response = client.post(
        "/admin/admin_webhook_dead_letters/action/",
        data={"action": "discard", "rowid": [str(bad)]},
    )
    assert response.status_code == 302
    assert dead_letter_count() == 0
    event = db.session.get(WebhookEvent, bad)
    db.session.refresh(event)
    assert event.processed_at is not None and "descartado" in event.error
    assert client.get("/healthz").get_json()["details"]["webhook_dead_letters"] == 0


def test_reprocess_gives_a_dead_letter_fresh_attempts(client, shop, app, monkeypatch):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 1

    def down(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(ingest, "process_payload", down)
    event_id = store_event(encode(inbound("5511987654321")))
    assert process_events([event_id]) == 0
    assert dead_letter_count() == 1
    monkeypatch.undo()
    assert ingest.reprocess_events([event_id]) == 1
    assert dead_letter_count() == 0 and _messages() == 1
    assert discard_events([event_id]) == 0  # already processed: nothing to discard
