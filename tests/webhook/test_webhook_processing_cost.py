"""What keeps webhook processing cheap per event (#24): the claim found by primary key
whatever the table's statistics, and a batch's status emits reaching Redis together —
with the same claim rules, the same signals and inbound messages announced first."""

from __future__ import annotations

import contextlib
import json
import os
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from webhook_helpers import encode, inbound, status, statuses_payload

from clickpro import realtime
from clickpro.extensions import db
from clickpro.models import Message, WebhookEvent
from clickpro.models.base import utcnow
from clickpro.services.webhook import ingest
from clickpro.services.webhook.ingest import process_events, store_event

BASE = 1_800_000_000


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _event(**values) -> int:
    event = WebhookEvent(
        body=json.dumps({"entry": []}),
        body_sha256=os.urandom(32).hex(),
        signature_ok=True,
        routed=False,
        received_at=utcnow(),
        **values,
    )
    db.session.add(event)
    db.session.flush()
    return event.id


def test_claim_takes_only_live_unleased_events(app):
    now = utcnow()
    fresh = _event()
    expired = _event(attempts=1, next_attempt_at=now - timedelta(seconds=1))
    leased = _event(attempts=1, next_attempt_at=now + timedelta(seconds=60))
    processed = _event(processed_at=now)
    dead = _event(dead_at=now, attempts=5)
    db.session.commit()
    rows = ingest._claim([fresh, expired, leased, processed, dead], now)
    assert [r.id for r in rows] == [fresh, expired]
    assert [r.attempts for r in rows] == [1, 2]  # the attempt is counted at the claim
    assert ingest._claim([fresh, expired], now) == []  # leased now


def test_claim_plan_reads_the_primary_key_when_almost_all_events_are_processed(app):
    """The usual production statistics (nearly every event processed) must not make the
    planner read the processed_at/dead_at indexes, i.e. the whole backlog, per batch."""
    if not _postgres():
        pytest.skip("PostgreSQL planner")
    now = utcnow()
    db.session.execute(
        sa.insert(WebhookEvent.__table__),
        [
            {
                "body": "{}",
                "body_sha256": os.urandom(32).hex(),
                "signature_ok": True,
                "routed": True,
                "received_at": now,
                "processed_at": now if n >= 300 else None,
                "attempts": 1,
                "dropped": 0,
                "malformed": 0,
            }
            for n in range(6000)
        ],
    )
    db.session.commit()
    db.session.execute(sa.text("ANALYZE webhook_events"))
    ids = list(db.session.scalars(sa.select(WebhookEvent.id).order_by(WebhookEvent.id).limit(100)))
    stmt = ingest._claim_statement(ids, now)
    compiled = stmt.compile(dialect=db.engine.dialect)
    driver = db.session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute(f"EXPLAIN {compiled}", dict(compiled.params))
        text = "\n".join(row[0] for row in cursor.fetchall())
    db.session.rollback()
    assert "pk_webhook_events" in text, text
    assert (
        "ix_webhook_events_processed_at" not in text and "dead_at" not in text.split("Filter")[0]
    ), text


@pytest.fixture
def outbound(shop, create_contact):
    def _make(n: int) -> list[Message]:
        rows = []
        for i in range(n):
            contact = create_contact(shop)
            rows.append(
                Message(
                    client_id=shop.id,
                    contact_id=contact.id,
                    number_id=shop.credential.id,
                    direction="OUT",
                    author="CAMPAIGN",
                    body="Oferta",
                    status="SENDING",
                    wamid=f"wamid.COST{time.monotonic_ns()}{i}",
                )
            )
        db.session.add_all(rows)
        db.session.commit()
        return rows

    return _make


def test_batch_announces_inbound_first_then_status_changes_held_together(
    shop, outbound, spy, monkeypatch
):
    """One batch: the inbound message's signal goes out before the held burst, every
    status change inside it (one pipelined publish on a Redis message queue)."""
    order: list[str] = []
    received = spy("message_received")
    changed = spy("message_status_changed")

    @contextlib.contextmanager
    def together():
        order.append(f"open after {len(received.calls)} received, {len(changed.calls)} changes")
        yield
        order.append(f"close after {len(changed.calls)} changes")

    monkeypatch.setattr(ingest, "publishing_together", together)
    messages = outbound(3)
    payloads = [statuses_payload([status(m.wamid, "delivered", BASE + 20)]) for m in messages] + [
        inbound("5511955550001")
    ]
    ids = [store_event(encode(p)) for p in payloads]
    assert process_events([i for i in ids if i]) == 4
    assert len(received.calls) == 1
    assert sorted(c["message_id"] for c in changed.calls) == sorted(m.id for m in messages)
    assert {c["client_id"] for c in changed.calls} == {shop.id}
    assert order == ["open after 1 received, 0 changes", "close after 3 changes"]


class _Recorder:
    """A stand-in for the Redis client of the Socket.IO manager: counts round trips."""

    def __init__(self) -> None:
        self.round_trips = 0
        self.published: list[tuple[str, str]] = []

    def publish(self, channel, data):
        self.round_trips += 1
        self.published.append((channel, data))

    def pipeline(self, transaction=False):
        recorder = self

        class _Pipe:
            def __init__(self) -> None:
                self.queued: list[tuple[str, str]] = []

            def publish(self, channel, data):
                self.queued.append((channel, data))

            def execute(self):
                recorder.round_trips += 1
                recorder.published.extend(self.queued)

        return _Pipe()


def test_publishing_together_sends_the_same_messages_in_one_round_trip(monkeypatch):
    manager = realtime._RedisManager("redis://127.0.0.1:6379/0", channel="h4-test")
    recorder = _Recorder()
    manager.redis, manager.connected = recorder, True
    monkeypatch.setattr(realtime, "engine", lambda: type("S", (), {"manager": manager})())
    manager._publish({"n": 0})  # outside: one PUBLISH as before
    with realtime.publishing_together():
        for n in range(1, 4):
            manager._publish({"n": n, "room": f"client:{n}"})
        assert recorder.round_trips == 1  # held until the block ends
    assert recorder.round_trips == 2
    assert [json.loads(d)["n"] for _, d in recorder.published] == [0, 1, 2, 3]
    assert {c for c, _ in recorder.published} == {"h4-test"}
    with realtime.publishing_together():
        pass  # nothing held: no round trip
    assert recorder.round_trips == 2


def test_publishing_together_without_a_message_queue_emits_at_once(app, monkeypatch):
    """Embedded (no Redis manager): a pass-through, the emits are not delayed."""
    seen: list[str] = []
    monkeypatch.setattr(
        realtime.socketio, "emit", lambda event, data, **kw: seen.append(event), raising=False
    )
    with realtime.publishing_together():
        realtime.emit_to_client(1, "message:status", {"id": 1})
        assert seen == ["message:status"]
