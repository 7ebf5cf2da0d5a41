"""Delivery statuses: monotonic whatever the order, pending statuses, callback matching."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_helpers import post, status, statuses_payload

from clickpro.extensions import db
from clickpro.models import Message, PendingStatus
from clickpro.services.messaging.delivery import apply_pending_statuses, apply_status

BASE = 1_800_000_000
# Each Meta status at its own time, so the expected timestamps are known.
OFFSET = {"sent": 10, "delivered": 20, "read": 30, "failed": 15}
RANK = {"sent": 1, "failed": 2, "delivered": 3, "read": 4}
_seq = itertools.count(1)


def _at(name: str) -> datetime:
    return datetime.fromtimestamp(BASE + OFFSET[name], UTC)


@pytest.fixture
def outbound(shop, create_contact):
    contact = create_contact(shop, "+5511987654321")

    def _make(n: int = 1, **kwargs) -> list[Message]:
        kwargs.setdefault("status", "SENDING")
        rows = [
            Message(
                client_id=shop.id,
                contact_id=contact.id,
                direction="OUT",
                author="CAMPAIGN",
                body="Oferta",
                wamid=f"wamid.OUT{next(_seq):07d}",
                **kwargs,
            )
            for _ in range(n)
        ]
        db.session.add_all(rows)
        db.session.commit()
        return rows

    return _make


def _expected(received: set[str]) -> dict:
    final = max(received, key=RANK.__getitem__)
    fills = {
        "sent_at": {"sent", "delivered", "read"},
        "delivered_at": {"delivered", "read"},
        "read_at": {"read"},
    }
    expected = {"status": final.upper()}
    for column, sources in fills.items():
        hits = [_at(s) for s in received & sources]
        expected[column] = min(hits) if hits else None
    expected["error_code"] = 131026 if final == "failed" else None
    expected["failed_at"] = _at("failed") if final == "failed" else None
    return expected


def _state(message: Message) -> dict:
    db.session.refresh(message)
    return {
        "status": message.status,
        "sent_at": message.sent_at,
        "delivered_at": message.delivered_at,
        "read_at": message.read_at,
        "error_code": message.error_code,
        "failed_at": message.failed_at,
    }


status_sets = st.sets(st.sampled_from(["sent", "delivered", "read", "failed"]), min_size=1)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(status_sets, min_size=50, max_size=50),
    seed=st.integers(0, 2**32 - 1),
    batch=st.integers(1, 25),
)
def test_statuses_in_any_order_end_in_the_right_state(client, outbound, plans, seed, batch):
    """50 messages, ~200 statuses (with duplicates and failures) shuffled into batches."""
    rng = random.Random(seed)
    messages = outbound(50)
    items = []
    for message, plan in zip(messages, plans, strict=True):
        for name in plan:
            copies = rng.choice([1, 1, 2])  # Meta redelivers
            items += [status(message.wamid, name, BASE + OFFSET[name])] * copies
    while len(items) < 200:  # top up with duplicates of random statuses
        items.append(rng.choice(items))
    rng.shuffle(items)
    for start in range(0, len(items), batch):
        assert post(client, statuses_payload(items[start : start + batch])).status_code == 200
    for message, plan in zip(messages, plans, strict=True):
        assert _state(message) == _expected(set(plan)), (plan, message.id)


def test_late_delivered_never_downgrades_read(client, outbound, spy):
    changed = spy("message_status_changed")
    (message,) = outbound(1, campaign_id=None)
    post(client, statuses_payload([status(message.wamid, "read", BASE + 30)]))
    post(client, statuses_payload([status(message.wamid, "delivered", BASE + 20)]))
    post(client, statuses_payload([status(message.wamid, "sent", BASE + 10)]))
    state = _state(message)
    assert state["status"] == "READ"
    assert state["read_at"] == _at("read")
    assert state["delivered_at"] == _at("delivered") and state["sent_at"] == _at("sent")
    assert [c["status"] for c in changed.calls] == ["READ"]
    assert changed.calls[0]["previous"] == "SENDING"
    assert changed.calls[0]["message_id"] == message.id
    assert changed.calls[0]["contact_id"] == message.contact_id
    assert "campaign_id" in changed.calls[0]


def test_read_first_fills_delivered_at(client, outbound):
    (message,) = outbound()
    post(client, statuses_payload([status(message.wamid, "read", BASE + 30)]))
    state = _state(message)
    assert state["delivered_at"] == _at("read") and state["sent_at"] == _at("read")


def test_failed_keeps_meta_error_and_is_ignored_after_delivered(client, outbound):
    failing, delivered = outbound(2)
    post(client, statuses_payload([status(failing.wamid, "sent", BASE + 10)]))
    post(client, statuses_payload([status(failing.wamid, "failed", BASE + 15, error_code=131049)]))
    db.session.refresh(failing)
    assert failing.status == "FAILED" and failing.error_code == 131049
    assert failing.error_title == "Message undeliverable"
    post(client, statuses_payload([status(delivered.wamid, "delivered", BASE + 20)]))
    post(client, statuses_payload([status(delivered.wamid, "failed", BASE + 25)]))
    db.session.refresh(delivered)
    assert delivered.status == "DELIVERED" and delivered.error_code is None


def test_status_never_applies_to_inbound_or_other_client(
    client, shop, create_client, create_contact, create_message
):
    contact = create_contact(shop)
    incoming = create_message(shop, contact, direction="IN", wamid="wamid.IN1")
    other = create_client("Outra")
    foreign = create_message(
        other, create_contact(other), direction="OUT", status="SENDING", wamid="wamid.X1"
    )
    post(
        client,
        statuses_payload([status("wamid.IN1", "read", BASE), status("wamid.X1", "read", BASE)]),
    )
    db.session.refresh(incoming)
    db.session.refresh(foreign)
    assert incoming.status == "RECEIVED" and foreign.status == "SENDING"


def test_status_before_send_is_pending_then_applied(client, outbound, spy):
    changed = spy("message_status_changed")
    post(client, statuses_payload([status("wamid.FUTURE", "delivered", BASE + 20)]))
    post(client, statuses_payload([status("wamid.FUTURE", "sent", BASE + 10)]))
    pending = db.session.scalars(sa.select(PendingStatus)).all()
    assert sorted(p.status for p in pending) == ["DELIVERED", "SENT"]
    (message,) = outbound(1, status="SENDING")
    message.wamid = "wamid.FUTURE"
    message.status = "SENT"
    db.session.commit()
    assert apply_pending_statuses(message) == 2
    state = _state(message)
    assert state["status"] == "DELIVERED"
    assert state["sent_at"] == _at("sent") and state["delivered_at"] == _at("delivered")
    assert db.session.scalar(sa.select(sa.func.count(PendingStatus.id))) == 0
    assert [c["status"] for c in changed.calls] == ["DELIVERED"]
    assert apply_pending_statuses(message) == 0


def test_pending_applied_when_wamid_landed_before_commit(client, outbound):
    """The race: the sender stored the wamid between our lookup and our commit."""
    (message,) = outbound(1, status="SENT")
    message.wamid = "wamid.RACE"
    db.session.commit()
    db.session.add(
        PendingStatus(
            client_id=message.client_id,
            wamid="wamid.RACE",
            status="READ",
            payload={"timestamp": _at("read").isoformat()},
        )
    )
    db.session.commit()
    assert apply_pending_statuses(message.id) == 1
    assert _state(message)["status"] == "READ"


def test_callback_data_matches_a_message_without_wamid(client, outbound, spy):
    changed = spy("message_status_changed")
    (message,) = outbound(1, status="SENDING")
    message.wamid = None
    db.session.commit()
    item = status("wamid.EARLY", "delivered", BASE + 20, callback=f"clickpro:m:{message.id}")
    post(client, statuses_payload([item]))
    db.session.refresh(message)
    assert message.wamid == "wamid.EARLY" and message.status == "DELIVERED"
    assert db.session.scalar(sa.select(sa.func.count(PendingStatus.id))) == 0
    assert changed.calls[0]["message_id"] == message.id


def test_callback_of_another_client_is_not_matched(
    client, outbound, create_client, create_contact, create_message
):
    other = create_client("Outra")
    foreign = create_message(other, create_contact(other), direction="OUT", status="SENDING")
    item = status("wamid.Z", "read", BASE, callback=f"clickpro:m:{foreign.id}")
    post(client, statuses_payload([item]))
    db.session.refresh(foreign)
    assert foreign.wamid is None and foreign.status == "SENDING"
    assert db.session.scalar(sa.select(PendingStatus.wamid)) == "wamid.Z"


def test_apply_status_service(app, outbound):
    (message,) = outbound()
    assert apply_status(message.client_id, message.wamid, "delivered", BASE + 20) is True
    assert apply_status(message.client_id, message.wamid, "delivered", BASE + 20) is False
    assert apply_status(message.client_id, message.wamid, "sent", BASE + 10) is False
    assert apply_status(message.client_id, message.wamid, "weird", BASE) is False
    assert _state(message)["sent_at"] == _at("sent")


def test_statuses_drained_in_batches_by_the_worker(client, outbound, app):
    """The queued path: one transaction per batch with prefetched rows, same results."""
    from clickpro.tasks import QUEUE_WEBHOOKS, make_worker, redis_connection
    from clickpro.tasks.webhooks import PENDING_KEY

    app.config.update(EMBEDDED=False, RQ_ASYNC=True)
    redis_connection(app).delete(PENDING_KEY)
    messages = outbound(6)
    plans = [
        {"sent", "delivered", "read"},
        {"read"},
        {"delivered", "failed"},
        {"sent", "failed"},
        {"sent"},
        {"failed", "read"},
    ]
    items = [
        status(m.wamid, name, BASE + OFFSET[name])
        for m, plan in zip(messages, plans, strict=True)
        for name in plan
    ]
    items += items[:5]  # redeliveries inside the same batch
    random.Random(7).shuffle(items)
    for item in items:
        post(client, statuses_payload([item]))
    post(client, statuses_payload([status("wamid.NOT.YET", "read", BASE + 30)]))
    assert all(_state(m)["status"] == "SENDING" for m in messages)  # nothing applied yet
    make_worker(app, [QUEUE_WEBHOOKS], embedded=True).work(burst=True)
    for message, plan in zip(messages, plans, strict=True):
        assert _state(message) == _expected(plan), plan
    assert db.session.scalar(sa.select(PendingStatus.wamid)) == "wamid.NOT.YET"
