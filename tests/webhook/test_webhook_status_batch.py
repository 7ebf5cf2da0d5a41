"""Status webhooks of a processing batch, applied set-based (one statement on PostgreSQL):
the same monotonic results as one by one, exactly once per event, several tenants in
one batch, pricing recorded once, the recipient's BSUID recorded on its contact."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from webhook_helpers import WABA_ID, encode, status, statuses_payload

from clickpro.extensions import db
from clickpro.models import Contact, ContactIdentity, Message, PendingStatus
from clickpro.services.messaging import status_batch
from clickpro.services.webhook.ingest import process_events, store_event

BASE = 1_800_000_000
OFFSET = {"sent": 10, "delivered": 20, "read": 30, "failed": 15}
RANK = {"sent": 1, "failed": 2, "delivered": 3, "read": 4}
OTHER_NUMBER = {
    "access_token": "other-token",
    "waba_id": "200000000000001",
    "phone_number_id": "200000000000011",
}
_seq = itertools.count(1)


def _at(name: str) -> datetime:
    return datetime.fromtimestamp(BASE + OFFSET[name], UTC)


def _expected(received: set[str]) -> dict:
    final = max(received, key=RANK.__getitem__)
    fills = {
        "sent_at": {"sent", "delivered", "read"},
        "delivered_at": {"delivered", "read"},
        "read_at": {"read"},
    }
    expected: dict = {"status": final.upper()}
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


@pytest.fixture
def tenants(shop, create_client, create_whatsapp_credential):
    other = create_client("Outra Loja")
    other.credential = create_whatsapp_credential(other, OTHER_NUMBER)
    return shop, other


@pytest.fixture
def outbound(create_contact):
    def _make(tenant, n: int = 1, **kwargs) -> list[Message]:
        rows = []
        for _ in range(n):
            contact = create_contact(tenant)
            rows.append(
                Message(
                    client_id=tenant.id,
                    contact_id=contact.id,
                    number_id=tenant.credential.id,
                    direction="OUT",
                    author="CAMPAIGN",
                    body="Oferta",
                    status=kwargs.get("status", "SENDING"),
                    wamid=f"wamid.BATCH{next(_seq):07d}",
                )
            )
        db.session.add_all(rows)
        db.session.commit()
        return rows

    return _make


def _store(payloads: list[dict]) -> list[int]:
    ids = [store_event(encode(p)) for p in payloads]
    assert all(ids)
    return [i for i in ids if i is not None]


@pytest.fixture
def applied(monkeypatch):
    """How many set-based applications ran (and with how many statuses)."""
    calls: list[int] = []
    original = status_batch.StatusBatch.apply

    def spy(self):
        calls.append(len(self.items))
        return original(self)

    monkeypatch.setattr(status_batch.StatusBatch, "apply", spy)
    return calls


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_one_batch_of_mixed_tenants_ends_like_one_by_one(tenants, outbound, applied, spy):
    """Two clients' statuses, shuffled, redelivered, several per event, one batch."""
    changed = spy("message_status_changed")
    shop, other = tenants
    rng = random.Random(24)
    names = ["sent", "delivered", "read", "failed"]
    plans = {}
    payloads = []
    for tenant in (shop, other):
        number = tenant.credential.phone_number_id
        for message in outbound(tenant, 12):
            plan = set(rng.sample(names, rng.randint(1, 4)))
            plans[message.id] = (message, plan)
            items = [status(message.wamid, n, BASE + OFFSET[n]) for n in plan]
            items += [rng.choice(items)]  # Meta redelivers inside the same batch
            rng.shuffle(items)
            for start in range(0, len(items), 2):
                payloads.append(statuses_payload(items[start : start + 2], number))
    rng.shuffle(payloads)
    ids = _store(payloads)
    assert process_events(ids) == len(ids)
    for message, plan in plans.values():
        assert _state(message) == _expected(plan), plan
    # Change signals from the right tenant, ending at the final status; set-based, the
    # statuses of a message in one batch fold into one change.
    by_message: dict[int, list[dict]] = {}
    for call in changed.calls:
        by_message.setdefault(call["message_id"], []).append(call)
    assert set(by_message) == set(plans)
    for message_id, calls in by_message.items():
        message = plans[message_id][0]
        assert {c["client_id"] for c in calls} == {message.client_id}
        assert calls[0]["previous"] == "SENDING" and calls[-1]["status"] == message.status
        if _postgres():
            assert len(calls) == 1
    if _postgres():  # every status of the batch in one set-based application
        total = sum(len(p["entry"][0]["changes"][0]["value"]["statuses"]) for p in payloads)
        assert applied == [total]


def test_batch_moves_only_up_from_the_stored_state(tenants, outbound):
    shop, _ = tenants
    read, failed, delivered = outbound(shop, 3)
    first = _store(
        [
            statuses_payload([status(read.wamid, "read", BASE + 30)]),
            statuses_payload([status(failed.wamid, "failed", BASE + 15)]),
            statuses_payload([status(delivered.wamid, "delivered", BASE + 20)]),
        ]
    )
    process_events(first)
    later = _store(
        [
            statuses_payload([status(read.wamid, "delivered", BASE + 5)]),  # late, earlier time
            statuses_payload([status(read.wamid, "sent", BASE + 40)]),
            statuses_payload([status(failed.wamid, "delivered", BASE + 20)]),  # clears failure
            statuses_payload([status(delivered.wamid, "failed", BASE + 25)]),  # ignored
        ]
    )
    process_events(later)
    assert _state(read)["status"] == "READ"
    assert _state(read)["delivered_at"] == datetime.fromtimestamp(BASE + 5, UTC)
    assert _state(read)["read_at"] == _at("read")
    state = _state(failed)
    assert state["status"] == "DELIVERED" and state["error_code"] is None
    assert state["failed_at"] is None
    state = _state(delivered)
    assert state["status"] == "DELIVERED" and state["error_code"] is None


def test_a_status_on_another_clients_number_never_touches_its_message(tenants, outbound):
    shop, other = tenants
    (mine,) = outbound(shop, 1)
    (theirs,) = outbound(other, 1)
    ids = _store(
        [
            statuses_payload([status(theirs.wamid, "read", BASE + 30)]),  # on shop's number
            statuses_payload([status(mine.wamid, "delivered", BASE + 20)]),
        ]
    )
    process_events(ids)
    assert _state(theirs)["status"] == "SENDING"
    assert _state(mine)["status"] == "DELIVERED"
    # The foreign wamid is kept pending for shop (as one by one would), never applied.
    assert db.session.scalar(sa.select(PendingStatus.client_id)) == shop.id


def test_duplicate_event_is_applied_exactly_once(tenants, outbound, spy):
    changed = spy("message_status_changed")
    shop, _ = tenants
    (message,) = outbound(shop, 1)
    payload = statuses_payload([status(message.wamid, "delivered", BASE + 20)])
    (event_id,) = _store([payload])
    assert store_event(encode(payload)) is None  # the same body is one event
    other = _store([statuses_payload([status(message.wamid, "sent", BASE + 10)])])
    assert process_events([event_id, event_id, *other]) == 2
    assert process_events([event_id]) == 0  # already processed: not claimed again
    assert [c["status"] for c in changed.calls] == ["DELIVERED"]
    state = _state(message)
    assert state["status"] == "DELIVERED" and state["sent_at"] == _at("sent")


def test_first_pricing_of_the_batch_is_recorded_once(tenants, outbound):
    shop, _ = tenants
    (message,) = outbound(shop, 1)
    sent = status(message.wamid, "sent", BASE + 10)
    delivered = status(message.wamid, "delivered", BASE + 20)
    delivered["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility"}
    process_events(_store([statuses_payload([sent]), statuses_payload([delivered])]))
    db.session.refresh(message)
    assert message.pricing_category == "marketing"
    assert message.pricing_number == shop.credential.phone_number_id
    assert message.cost is not None and message.cost_currency
    process_events(_store([statuses_payload([status(message.wamid, "read", BASE + 30)])]))
    db.session.refresh(message)
    assert message.pricing_category == "marketing"  # never replaced


@pytest.mark.parametrize(
    "parent_field", ["recipient_parent_user_id", "parent_recipient_user_id", "parent_user_id"]
)
def test_recipient_bsuid_and_parent_recorded_on_the_contact(
    tenants, outbound, create_contact, parent_field
):
    shop, other = tenants
    fresh, known = outbound(shop, 2)
    (theirs,) = outbound(other, 1)
    known_contact = db.session.get(Contact, known.contact_id)
    known_contact.bsuid = "BR.KNOWN0000000001"
    db.session.add(create_contact(shop, bsuid="BR.TAKEN0000000001"))
    db.session.commit()

    def with_ids(message, kind, bsuid, parent=None):
        item = status(message.wamid, kind, BASE + OFFSET[kind])
        item["recipient_user_id"] = bsuid
        if parent:
            item[parent_field] = parent
        return item

    ids = _store(
        [
            statuses_payload([with_ids(fresh, "sent", "BR.FRESH000000001", "BR.PARENT00000001")]),
            statuses_payload([with_ids(fresh, "delivered", "BR.FRESH000000001")]),
            statuses_payload([with_ids(known, "sent", "BR.TAKEN0000000001")]),
            statuses_payload(
                [with_ids(theirs, "sent", "BR.THEIRS00000001")],
                OTHER_NUMBER["phone_number_id"],
            ),
        ]
    )
    assert process_events(ids) == 4
    contact = db.session.get(Contact, fresh.contact_id)
    db.session.refresh(contact)
    assert contact.bsuid == "BR.FRESH000000001"
    assert contact.parent_bsuid == "BR.PARENT00000001"
    db.session.refresh(known_contact)
    assert known_contact.bsuid == "BR.KNOWN0000000001"  # a BSUID already set is kept
    rows = db.session.execute(
        sa.select(
            ContactIdentity.client_id,
            ContactIdentity.contact_id,
            ContactIdentity.kind,
            ContactIdentity.waba_id,
            ContactIdentity.value,
        )
    ).all()
    assert set(rows) == {
        (shop.id, fresh.contact_id, "bsuid", WABA_ID, "BR.FRESH000000001"),
        (shop.id, fresh.contact_id, "parent_bsuid", WABA_ID, "BR.PARENT00000001"),
        # Another contact already holds this BSUID: the identity row says who it was
        # seen on; the contact's own column stays (merging is not the batch's job).
        (shop.id, known.contact_id, "bsuid", WABA_ID, "BR.TAKEN0000000001"),
        (other.id, theirs.contact_id, "bsuid", OTHER_NUMBER["waba_id"], "BR.THEIRS00000001"),
    }
    theirs_contact = db.session.get(Contact, theirs.contact_id)
    db.session.refresh(theirs_contact)
    assert theirs_contact.bsuid == "BR.THEIRS00000001"


def test_unknown_wamid_in_a_batch_is_kept_pending_then_applied(tenants, outbound):
    from clickpro.services.messaging.delivery import apply_pending_statuses

    shop, _ = tenants
    (known,) = outbound(shop, 1)
    late = outbound(shop, 1, status="SENDING")[0]
    late_wamid, late.wamid = late.wamid, None
    db.session.commit()
    item = status(late_wamid, "read", BASE + 30)
    item["recipient_user_id"] = "BR.LATE0000000001"
    ids = _store(
        [statuses_payload([item]), statuses_payload([status(known.wamid, "sent", BASE + 10)])]
    )
    process_events(ids)
    assert _state(known)["status"] == "SENT"
    assert db.session.scalar(sa.select(PendingStatus.wamid)) == late_wamid
    late.wamid = late_wamid
    db.session.commit()
    assert apply_pending_statuses(late) == 1
    assert _state(late)["status"] == "READ"
    contact = db.session.get(Contact, late.contact_id)
    db.session.refresh(contact)
    assert contact.bsuid == "BR.LATE0000000001"
