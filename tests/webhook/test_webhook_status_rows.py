"""The set-based status batch (#24): one batch of out-of-order statuses of one message
ends at the right status with one change (signal, socket emit) exactly once; the
statement's rows (one JSON parameter) carry errors, costs and sub-second times exactly;
the statements a batch runs do not grow with its events."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
import sqlalchemy as sa
from webhook_helpers import encode, status, statuses_payload

from clickpro.extensions import db
from clickpro.models import Message
from clickpro.services.costs.ledger import pricing_values
from clickpro.services.messaging.delivery import record_status, status_batch
from clickpro.services.webhook.ingest import process_events, store_event

BASE = 1_800_000_000
_seq = itertools.count(1)


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def outbound(shop, create_contact):
    def _make(n: int = 1) -> list[Message]:
        rows = [
            Message(
                client_id=shop.id,
                contact_id=create_contact(shop).id,
                number_id=shop.credential.id,
                direction="OUT",
                author="CAMPAIGN",
                body="Oferta",
                status="SENDING",
                wamid=f"wamid.ROWS{next(_seq):07d}",
            )
            for _ in range(n)
        ]
        db.session.add_all(rows)
        db.session.commit()
        return rows

    return _make


@pytest.fixture
def emits(monkeypatch):
    """The inbox's Socket.IO emits (event, data) of the status receiver."""
    from clickpro.services.inbox import events as inbox_events

    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        inbox_events, "emit_to_client", lambda client_id, event, data: sent.append((event, data))
    )
    return sent


def _store(payloads: list[dict]) -> list[int]:
    ids = [store_event(encode(p)) for p in payloads]
    assert all(ids)
    return [i for i in ids if i is not None]


def _at(offset: int) -> datetime:
    return datetime.fromtimestamp(BASE + offset, UTC)


def test_out_of_order_statuses_of_one_message_end_read_exactly_once(outbound, spy, emits):
    changed = spy("message_status_changed")
    (message,) = outbound(1)
    order = [("read", 30), ("failed", 15), ("sent", 10), ("delivered", 20), ("read", 35)]
    ids = _store([statuses_payload([status(message.wamid, n, BASE + t)]) for n, t in order])
    assert process_events(ids) == len(ids)
    db.session.refresh(message)
    assert message.status == "READ"
    assert (message.sent_at, message.delivered_at, message.read_at) == (_at(10), _at(20), _at(30))
    assert message.failed_at is None and message.error_code is None  # the FAILED never moved
    assert message.pricing_category == "marketing" and message.cost is not None
    statuses = [(c["previous"], c["status"]) for c in changed.calls]
    status_emits = [d for e, d in emits if e == "message:status"]
    if _postgres():  # folded in the batch: one change, one emit
        assert statuses == [("SENDING", "READ")]
        assert status_emits == [
            {
                "id": message.id,
                "contact_id": message.contact_id,
                "status": "READ",
                "error_code": None,
                "error_title": None,
                "updated_at": None,
            }
        ]
    else:
        assert statuses[0][0] == "SENDING" and statuses[-1][1] == "READ"
    # Exactly once: the same events again are not claimed; a late status moves nothing.
    assert process_events(ids) == 0
    late = _store([statuses_payload([status(message.wamid, "delivered", BASE + 5)])])
    before = len(changed.calls)
    assert process_events(late) == 1
    db.session.refresh(message)
    assert message.status == "READ" and message.delivered_at == _at(5)
    assert len(changed.calls) == before


def test_failure_text_cost_and_sub_second_times_reach_the_row_exactly(shop, outbound):
    failed, delivered = outbound(2)
    title = 'Não entregue: "aspas", barra \\ e ção'
    item = status(failed.wamid, "failed", BASE + 15)
    item["errors"][0]["title"] = title
    priced = status(delivered.wamid, "delivered", BASE + 20)
    assert process_events(_store([statuses_payload([item]), statuses_payload([priced])])) == 2
    db.session.refresh(failed)
    assert failed.status == "FAILED" and failed.error_code == 131026
    assert failed.error_title == title and failed.failed_at == _at(15)
    db.session.refresh(delivered)
    expected = pricing_values(shop.id, priced["pricing"], _at(20), "BR")
    assert expected is not None and isinstance(expected["cost"], Decimal)
    assert delivered.cost == expected["cost"]  # numeric, never through a float
    assert delivered.rate_card_id == expected.get("rate_card_id")
    # A time with microseconds (not Meta's whole seconds) is kept to the microsecond.
    at = datetime(2027, 1, 15, 8, 0, 1, 123457, tzinfo=UTC)
    with status_batch() as batch:
        record_status(shop.id, delivered.wamid, "read", at)
        if batch is not None:
            batch.apply()
    db.session.commit()
    db.session.refresh(delivered)
    assert delivered.status == "READ" and delivered.read_at == at


def _count_statements(monkeypatch) -> list[str]:
    seen: list[str] = []
    original = psycopg.Cursor.execute

    def counting(self, query, *args, **kwargs):
        seen.append(str(query)[:60])
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counting)
    return seen


def test_statements_per_batch_do_not_grow_with_its_status_events(outbound, monkeypatch):
    if not _postgres():
        pytest.skip("set-based on PostgreSQL only")
    counts = []
    # The first two warm the per-process caches (route, the default rate card it creates).
    for size in (1, 1, 5, 30):
        messages = outbound(size)
        message_ids = [m.id for m in messages]
        ids = _store(
            [statuses_payload([status(m.wamid, "sent", BASE + 10)]) for m in messages]
            + [statuses_payload([status(m.wamid, "delivered", BASE + 20)]) for m in messages]
        )
        db.session.commit()
        with monkeypatch.context() as patch:
            seen = _count_statements(patch)
            assert process_events(ids) == len(ids)
        counts.append(len(seen))
        db.session.commit()
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(
                    Message.id.in_(message_ids), Message.status == "DELIVERED"
                )
            )
            == size
        )
    # 10 events or 60: the same round trips (claim, one status statement, finish, commits,
    # the client's outbound-webhook endpoints once)
    assert counts[2] == counts[3], (counts, seen)
    assert counts[3] <= 5, (counts, seen)


@pytest.mark.parametrize(
    ("phone", "market"),
    [
        ("5511987654321", "BR"),  # Meta's recipient_id: digits only (the fast path)
        ("+55 (11) 98765-4321", "BR"),
        ("447700900000", "GB"),
        ("٥٥١١٩٨٧٦٥٤٣٢١", "BR"),  # non-ASCII digits: the per-character path, as before
        ("", "*"),
        (None, "*"),
        ("abc", "*"),
    ],
)
def test_market_of_a_status_recipient(phone, market):
    from clickpro.services.costs.markets import market_of

    assert market_of(phone) == market
