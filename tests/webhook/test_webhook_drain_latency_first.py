"""Latency first in the webhooks drain (#24): a message that arrives while earlier
messages' slow receivers are still queued gets its live ``message:new`` after at most
one of those receivers; every receiver still hears every message exactly once, in the
messages' order, and after that message's own live round."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from blinker import Namespace
from webhook_helpers import encode, inbound

from clickpro import events
from clickpro.extensions import db
from clickpro.models import Message
from clickpro.services.webhook.ingest import store_event
from clickpro.tasks import redis_connection
from clickpro.tasks import webhooks as webhook_tasks
from clickpro.tasks.webhooks import PENDING_KEY, _flag, drain_pending


def _message_ids() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Message.id).order_by(Message.id)))


def test_a_message_arriving_during_slow_receivers_is_emitted_before_they_finish(
    client, shop, app, emit_order
):
    """Two messages in a batch, a third arrives during the first one's slow receivers:
    the third's ``message:new`` goes out before the second one's slow receivers run."""
    redis = redis_connection(app)
    redis.delete(PENDING_KEY)
    ids = [store_event(encode(inbound(f"55119876500{n:02d}"))) for n in range(3)]
    db.session.commit()
    order = emit_order
    pushed: list[int] = []

    def slow(name: str):
        def receiver(sender, *, message_id: int, **_):
            order.append((name, message_id))
            if not pushed:  # the first slow receiver to run: the next webhook arrives
                pushed.append(message_id)
                redis.rpush(PENDING_KEY, ids[2])

        return receiver

    slow_a, slow_b = slow("a"), slow("b")
    events.message_received.connect(slow_a, sender=app, weak=False)
    events.message_received.connect(slow_b, sender=app, weak=False)
    try:
        redis.rpush(PENDING_KEY, *ids[:2])
        redis.set(_flag(0), 1)
        assert drain_pending(0) == 3
    finally:
        events.message_received.disconnect(slow_a)
        events.message_received.disconnect(slow_b)
    m1, m2, m3 = _message_ids()
    assert pushed == [m1]
    assert order[:2] == [("message:new", m1), ("message:new", m2)]
    live_m3 = order.index(("message:new", m3))
    # preempted: out before the second message's slow receivers, after the first one's
    assert all(order.index((name, m1)) < live_m3 for name in ("a", "b"))
    assert all(live_m3 < order.index((name, m2)) for name in ("a", "b"))
    for name in ("a", "b"):  # once each, in the messages' order, after their live round
        assert [mid for kind, mid in order if kind == name] == [m1, m2, m3]
        assert live_m3 < order.index((name, m3))
    assert [mid for kind, mid in order if kind == "message:new"] == [m1, m2, m3]
    assert not redis.exists(_flag(0))


def test_a_drain_behind_finishes_queued_receivers_before_taking_more(
    client, shop, app, monkeypatch, emit_order
):
    """Capped: a worker that cannot keep up does not pile slow receivers up forever."""
    monkeypatch.setattr(webhook_tasks, "MAX_DEFERRED", 1)
    redis = redis_connection(app)
    redis.delete(PENDING_KEY)
    ids = [store_event(encode(inbound(f"551198765010{n}"))) for n in range(2)]
    db.session.commit()
    order = emit_order

    def slow(sender, *, message_id: int, **_):
        order.append(("slow", message_id))
        if len(order) == 2:
            redis.rpush(PENDING_KEY, ids[1])

    events.message_received.connect(slow, sender=app, weak=False)
    try:
        redis.rpush(PENDING_KEY, ids[0])
        redis.set(_flag(0), 1)
        assert drain_pending(0) == 2
    finally:
        events.message_received.disconnect(slow)
    m1, m2 = _message_ids()
    # the first message's receivers all ran (one queued item = the cap) before m2's emit
    assert order == [("message:new", m1), ("slow", m1), ("message:new", m2), ("slow", m2)]


def test_queued_second_rounds_run_when_the_block_ends_even_on_error(app):
    signal = Namespace().signal("latency-first-test")  # no other receivers
    heard: list[tuple[str, int]] = []

    @events.live_first
    def live(sender, *, message_id: int):
        heard.append(("live", message_id))

    def slow(sender, *, message_id: int):
        heard.append(("slow", message_id))

    signal.connect(live, sender=app, weak=False)
    signal.connect(slow, sender=app, weak=False)
    with pytest.raises(RuntimeError), events.deferring_second_rounds() as later:
        for n in (1, 2):
            events.send_round(signal, True, message_id=n)
            events.send_round(signal, False, message_id=n)
        assert heard == [("live", 1), ("live", 2)] and len(later) == 2
        later.run_item()
        assert heard[-1] == ("slow", 1) and len(later) == 1
        raise RuntimeError("the drain failed")
    assert heard == [("live", 1), ("live", 2), ("slow", 1), ("slow", 2)]
    events.send_round(signal, False, message_id=3)  # outside a block: at once
    assert heard[-1] == ("slow", 3)
