"""``WEBHOOK_FOLLOWUPS_QUEUE`` (#24): the drain sends a batch's live round (``message:new``)
and hands the slow receivers of its inbound messages to the ``followups`` queue as one
job, which another worker runs: each receiver hears each message once, in order, after
its live round. If Redis refuses the job, the receivers run in the drain as before."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from rq import Queue
from webhook_helpers import encode, inbound

from clickpro import events
from clickpro.extensions import db
from clickpro.models import Message
from clickpro.services.webhook.ingest import store_event
from clickpro.tasks import QUEUE_FOLLOWUPS, make_worker, redis_connection
from clickpro.tasks import webhooks as webhook_tasks
from clickpro.tasks.webhooks import PENDING_KEY, _flag, drain_pending, run_followups


@pytest.fixture
def followups(app):
    """Jobs really queued (RQ_ASYNC), the setting on, a followups worker registered (it
    runs when a test calls ``work``), the followups queue empty."""
    app.config.update(RQ_ASYNC=True, WEBHOOK_FOLLOWUPS_QUEUE=True)
    queue = Queue(QUEUE_FOLLOWUPS, connection=redis_connection(app))
    queue.empty()
    redis_connection(app).delete(PENDING_KEY, _flag(0))
    worker = make_worker(app, (QUEUE_FOLLOWUPS,), embedded=True)
    worker.register_birth()
    yield queue
    worker.register_death()
    queue.empty()


@pytest.fixture
def slow_receiver(app, emit_order):
    def receiver(sender, *, message_id: int, **_):
        emit_order.append(("slow", message_id))

    events.message_received.connect(receiver, sender=app, weak=False)
    yield emit_order
    events.message_received.disconnect(receiver)


def _store_inbound(count: int, prefix: str) -> list[int]:
    ids = [store_event(encode(inbound(f"{prefix}{n:02d}"))) for n in range(count)]
    db.session.commit()
    return ids


def _message_ids() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Message.id).order_by(Message.id)))


def test_slow_receivers_run_in_the_followups_worker_in_order(
    client, shop, app, followups, slow_receiver
):
    redis = redis_connection(app)
    redis.rpush(PENDING_KEY, *_store_inbound(3, "55119876520"))
    redis.set(_flag(0), 1)
    assert drain_pending(0) == 3
    messages = _message_ids()
    # the drain sent every live round and ran no slow receiver: one job holds them all
    assert slow_receiver == [("message:new", m) for m in messages]
    (job,) = followups.jobs
    assert job.func_name == "clickpro.tasks.webhooks.run_followups"
    assert [(name, kw["message_id"]) for name, kw in job.args[0]] == [
        ("message-received", m) for m in messages
    ]

    assert make_worker(app, (QUEUE_FOLLOWUPS,), embedded=True).work(burst=True)
    assert slow_receiver[3:] == [("slow", m) for m in messages]  # once each, in order
    assert followups.count == 0 and not followups.failed_job_registry.count


def test_a_refused_job_runs_the_receivers_in_the_drain(
    client, shop, app, followups, slow_receiver, monkeypatch, caplog
):
    def refused(*args, **kwargs):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(webhook_tasks, "enqueue", refused)
    redis = redis_connection(app)
    redis.rpush(PENDING_KEY, *_store_inbound(2, "55119876521"))
    redis.set(_flag(0), 1)
    with caplog.at_level(logging.ERROR, logger="clickpro.tasks.webhooks"):
        assert drain_pending(0) == 2
    m1, m2 = _message_ids()
    assert slow_receiver == [("message:new", m1), ("message:new", m2), ("slow", m1), ("slow", m2)]
    assert "running them here" in caplog.text
    assert followups.count == 0


@pytest.mark.parametrize("why", ["setting off", "no followups worker"])
def test_the_receivers_stay_in_the_drain(client, shop, app, followups, slow_receiver, why):
    if why == "setting off":
        app.config["WEBHOOK_FOLLOWUPS_QUEUE"] = False
    else:  # an upgrade that kept README's old `-q webhooks,ai` workers
        redis_connection(app).delete(f"rq:workers:{QUEUE_FOLLOWUPS}")
    redis = redis_connection(app)
    redis.rpush(PENDING_KEY, *_store_inbound(2, "55119876522"))
    redis.set(_flag(0), 1)
    assert drain_pending(0) == 2
    m1, m2 = _message_ids()
    assert slow_receiver == [("message:new", m1), ("message:new", m2), ("slow", m1), ("slow", m2)]
    assert followups.count == 0


def test_the_job_skips_an_unknown_signal_and_survives_a_failing_receiver(app, caplog):
    heard: list[int] = []

    def broken(sender, **_):
        raise RuntimeError("receiver bug")

    def fine(sender, *, message_id: int, **_):
        heard.append(message_id)

    events.message_received.connect(broken, sender=app, weak=False)
    events.message_received.connect(fine, sender=app, weak=False)
    kwargs = {"client_id": 1, "message_id": 7, "contact_id": 1, "conversation_id": None,
              "number_id": None}  # fmt: skip
    try:
        with app.app_context(), caplog.at_level(logging.ERROR):
            ran = run_followups([("no-such-signal", {}), ("message-received", kwargs)])
    finally:
        events.message_received.disconnect(broken)
        events.message_received.disconnect(fine)
    assert ran == 1 and heard == [7]
    assert "unknown signal 'no-such-signal'" in caplog.text
    assert "receiver bug" in caplog.text


def test_take_leaves_a_round_whose_receivers_started(app):
    from blinker import Namespace

    signal = Namespace().signal("followups-take-test")
    heard: list[int] = []
    signal.connect(lambda sender, *, n: heard.append(n), sender=app, weak=False)
    signal.connect(lambda sender, *, n: heard.append(-n), sender=app, weak=False)
    with app.app_context(), events.deferring_second_rounds() as later:
        events.send_round(signal, False, n=1)
        events.send_round(signal, False, n=2)
        later._rounds[0].receivers.pop(0)  # as if interrupted after its first receiver
        assert later.take() == [("followups-take-test", {"n": 2})]
        assert len(later) == 1
    assert heard == [-1]  # the started round finished when the block ended
