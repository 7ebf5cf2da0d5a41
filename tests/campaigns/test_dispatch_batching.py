"""Issue #24's batching in the campaign send path keeps every guarantee.

* outcomes of a batch are stored in one set-based statement (PostgreSQL) with the same
  guard as one UPDATE per row: a row the status webhook already settled is not touched;
* a batch where some sends fail stores each row's own outcome;
* a dispatcher that dies with a batch sent but not recorded sends nothing twice and loses
  nothing: its rows stay SENDING under their lease, the next dispatcher never re-sends
  them, the watchdog settles them once the lease is over;
* limiter slots reserved in chunks keep the exact spacing of one reservation per send.
"""

from __future__ import annotations

from datetime import timedelta

import fakeredis
import pytest
import sqlalchemy as sa
from campaign_helpers import add_contacts, make_list

from clickpro.extensions import db
from clickpro.integrations.ratelimit import RateLimiter, SlotBook
from clickpro.models import Message
from clickpro.models.base import utcnow
from clickpro.services.campaigns import dispatch_store as store
from clickpro.services.campaigns import service as svc
from clickpro.services.campaigns.dispatch_outcome import Outcome
from clickpro.services.campaigns.schedule import expire_sending

VARS = {"body": ["{{contact.name}}", "{{contact.cupom}}"]}


def _campaign(setup, n: int, **data):
    lst = make_list(setup.tenant, add_contacts(setup.tenant, n))
    payload = {"name": "Lote", "template_id": setup.template.id, "list_ids": [lst.id],
               "variables": VARS, "rate_mps": 80}  # fmt: skip
    payload.update(data)
    return svc.save_campaign(setup.tenant.id, payload)


def _rows(campaign_id: int) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Message).where(Message.campaign_id == campaign_id).order_by(Message.id)
        )
    )


def _materialized(setup, n: int):
    """A started campaign whose rows were materialized but not sent (dispatch held)."""
    from clickpro.services.campaigns import dispatchers

    campaign = _campaign(setup, n)
    original = dispatchers.enqueue_dispatchers
    dispatchers.enqueue_dispatchers = lambda campaign_id: None
    try:
        svc.start_campaign(setup.tenant.id, campaign.id)
    finally:
        dispatchers.enqueue_dispatchers = original
    return campaign


def test_a_mixed_batch_stores_each_rows_own_outcome(setup):
    campaign = _materialized(setup, 7)
    claimed = store.claim(campaign.id, 7)
    assert len(claimed) == 7
    ids = [r.id for r in claimed]
    # The status webhook settled the last row before the batch was written (early status).
    db.session.execute(sa.update(Message).where(Message.id == ids[6]).values(status="DELIVERED"))
    db.session.commit()
    now = utcnow()
    outcomes = [
        Outcome(
            ids[0],
            "sent",
            wamid="wamid.b0",
            at=now,
            payload={"components": [1]},
            body='Oi "Zé" — ção 🎉',
        ),
        Outcome(ids[1], "sent", wamid="wamid.b1", at=now, payload={"components": [2]}, body="Oi 1"),
        Outcome(ids[2], "failed", error_code=131026, error_title="Não entregue", at=now),
        Outcome(ids[3], "retry", error_code=130429, error_title="Limite", delay_s=5.0),
        Outcome(ids[4], "unknown", error_title="Resultado desconhecido: Network error"),
        Outcome(ids[5], "release"),
        Outcome(ids[6], "sent", wamid="wamid.b6", at=now, payload={}, body="Oi 6"),
    ]
    store.record(setup.tenant.id, campaign.id, outcomes)
    rows = {r.id: r for r in _rows(campaign.id)}
    sent0, sent1 = rows[ids[0]], rows[ids[1]]
    assert (sent0.status, sent0.wamid, sent0.body) == ("SENT", "wamid.b0", 'Oi "Zé" — ção 🎉')
    assert sent0.payload == {"components": [1]} and sent0.sent_at is not None
    assert (sent1.status, sent1.wamid) == ("SENT", "wamid.b1")
    assert (rows[ids[2]].status, rows[ids[2]].error_code) == ("FAILED", 131026)
    assert rows[ids[3]].status == "QUEUED" and rows[ids[3]].next_attempt_at is not None
    assert rows[ids[4]].status == "UNKNOWN"
    assert rows[ids[5]].status == "QUEUED" and rows[ids[5]].attempts == 0
    # Not overwritten by the late "sent" of the batch.
    assert rows[ids[6]].status == "DELIVERED" and rows[ids[6]].wamid is None


def test_a_send_recorded_after_the_watchdog_gave_the_row_up_still_lands(setup):
    campaign = _materialized(setup, 1)
    (row,) = store.claim(campaign.id, 1)
    db.session.execute(sa.update(Message).where(Message.id == row.id).values(status="UNKNOWN"))
    db.session.commit()
    store.record(setup.tenant.id, campaign.id, [Outcome(row.id, "sent", wamid="wamid.late",
                                                        at=utcnow(), body="x")])  # fmt: skip
    (stored,) = _rows(campaign.id)
    assert (stored.status, stored.wamid) == ("SENT", "wamid.late")


def test_dispatcher_dying_with_a_batch_unrecorded_sends_nothing_twice(setup, app, monkeypatch):
    """The job dies (the process would) at its first batch write: those sends are out at
    Meta but their rows are still SENDING. A new dispatcher sends every other row once
    and never those; the watchdog settles them after the lease; nothing is left pending."""
    app.config["CAMPAIGN_UNKNOWN_GRACE_S"] = 0
    campaign = _materialized(setup, 40)
    real_record = store.record
    calls = {"n": 0}

    class WorkerDied(BaseException):
        """Not an Exception: nothing in the dispatcher may catch it (a SIGKILL)."""

    def dying_record(client_id, campaign_id, outcomes):
        calls["n"] += 1
        raise WorkerDied

    monkeypatch.setattr(store, "record", dying_record)
    from clickpro.services.campaigns.dispatch import Dispatcher

    with pytest.raises(WorkerDied):
        Dispatcher(campaign.id).run()
    sent_before = {s["callback_data"] for s in setup.sandbox.list_sends()}
    assert sent_before  # the dead job did send a batch
    unrecorded = {r.id for r in _rows(campaign.id) if r.status == "SENDING"}
    assert {f"clickpro:m:{i}" for i in unrecorded} >= sent_before
    monkeypatch.setattr(store, "record", real_record)
    Dispatcher(campaign.id).run()
    sends = [s["callback_data"] for s in setup.sandbox.list_sends()]
    assert len(sends) == len(set(sends)), "a row was sent twice"
    rows = _rows(campaign.id)
    assert {f"clickpro:m:{r.id}" for r in rows if r.status == "SENT"} == set(sends) - sent_before
    # The rows the dead job held are settled by the watchdog once their lease ran out.
    db.session.execute(
        sa.update(Message)
        .where(Message.id.in_(unrecorded))
        .values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert expire_sending(utcnow()) == len(unrecorded)
    statuses = {r.status for r in _rows(campaign.id)}
    assert statuses <= {"SENT", "UNKNOWN"}, statuses  # nothing lost in QUEUED/SENDING
    assert len(setup.sandbox.list_sends()) == len(sends)  # and nothing re-sent meanwhile


class _ClockLimiter:
    """The GCRA of ``RateLimiter`` on a fake clock shared with the book (exact times).

    The Redis script itself (count > 1 included) is covered by tests/unit/test_ratelimit;
    here the book's own logic is under test: chunks, order, dropping missed slots."""

    def __init__(self, clock: dict) -> None:
        self.clock = clock
        self.tat: dict[str, float] = {}
        self.calls = 0

    def reserve_with_clock(self, key: str, rate: float, count: int = 1):
        self.calls += 1
        now = self.clock["t"]
        tat = max(self.tat.get(key, 0.0), now)
        slots = [tat + i / rate for i in range(count)]
        self.tat[key] = tat + count / rate
        return now, slots


def test_slot_book_keeps_the_limiter_spacing_with_one_call_per_chunk():
    clock = {"t": 100.0}
    limiter = _ClockLimiter(clock)
    book = SlotBook(limiter, "phone:1", 50.0, 10, clock=lambda: clock["t"])  # type: ignore[arg-type]
    slots = []
    for _ in range(25):
        slots.append(book.take(0.015))
        clock["t"] = max(clock["t"], slots[-1])  # the sender waits for its slot
    assert limiter.calls == book.reservations == 3  # 10 + 10 + 5 of a third chunk
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert min(gaps) == pytest.approx(0.02)  # 50/s: 20 ms apart, across chunks too
    # The 5 slots left went by unused: dropped, never handed out late.
    clock["t"] = slots[-1] + 5.0
    late = book.take(0.015)
    assert late >= clock["t"] - 0.015
    assert book.reservations == 4


def test_two_slot_books_on_one_key_never_share_a_slot():
    clock = {"t": 0.0}
    limiter = _ClockLimiter(clock)
    a = SlotBook(limiter, "phone:1", 100.0, 5, clock=lambda: clock["t"])  # type: ignore[arg-type]
    b = SlotBook(limiter, "phone:1", 100.0, 5, clock=lambda: clock["t"])  # type: ignore[arg-type]
    slots = []
    for i in range(40):  # interleaved, as two dispatchers of one number
        slots.append((a if i % 3 else b).take(1.0))
        clock["t"] += 0.004
    slots.sort()
    gaps = [y - x for x, y in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 0.01 - 1e-9  # 100/s shared by both: 10 ms apart


def test_a_slow_round_trip_does_not_slide_a_chunk_onto_the_next_slots():
    """One reservation whose answer came back 30 ms late (a loaded machine) is mapped with
    the offset seen on fast calls: its slots stay where Redis put them."""
    clock = {"t": 0.0}
    limiter = _ClockLimiter(clock)
    slow = {"next": False}

    def reserve_with_clock(key, rate, count=1):
        result = _ClockLimiter.reserve_with_clock(limiter, key, rate, count)
        if slow["next"]:
            clock["t"] += 0.03  # the answer arrives 30 ms after Redis ran the script
        return result

    limiter.reserve_with_clock = reserve_with_clock  # type: ignore[method-assign]
    a = SlotBook(limiter, "phone:1", 100.0, 10, clock=lambda: clock["t"])  # type: ignore[arg-type]
    b = SlotBook(limiter, "phone:1", 100.0, 10, clock=lambda: clock["t"])  # type: ignore[arg-type]
    slots_a = [a.take(1.0) for _ in range(10)]  # a fast call: a learns the offset
    slow["next"] = True
    slots_a += [a.take(1.0) for _ in range(10)]  # a's second chunk came back 30 ms late
    slow["next"] = False
    slots_b = [b.take(1.0) for _ in range(10)]  # b's chunk follows a's in Redis time
    # Mapped with its own late return, a's second chunk would end 30 ms into b's slots.
    every = sorted(slots_a + slots_b)
    gaps = [y - x for x, y in zip(every, every[1:], strict=False)]
    assert min(gaps) >= 0.01 - 1e-9


def test_slot_book_on_redis_reserves_chunks():
    book = SlotBook(
        RateLimiter(fakeredis.FakeRedis(), prefix="test:slotbook:"), "phone:9", 200.0, 8
    )
    slots = [book.take(1.0) for _ in range(16)]
    assert book.reservations == 2
    assert slots == sorted(slots) and slots[-1] - slots[0] >= 15 / 200 - 0.01
