"""BSUIDs are per portfolio (WABA); malformed messages are counted; concurrent first
messages end with one contact and one conversation (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from identity_helpers import (
    PHONE_NUMBER_ID,
    change,
    customer_message,
    messages_value,
    new_wamid,
    post,
)

from clickpro.extensions import db
from clickpro.models import Contact, ContactIdentity, Conversation, Message, WebhookEvent

BSUID = "BR.1502576394655843"
OTHER_NUMBER = "200000000000111"
OTHER_WABA = "200000000000101"


def _all(model, *where):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(model).where(*where).order_by(model.id)))


def test_same_bsuid_on_two_wabas_is_two_identities(client, shop, create_whatsapp_credential):
    create_whatsapp_credential(
        shop, {"access_token": "t2", "waba_id": OTHER_WABA, "phone_number_id": OTHER_NUMBER}
    )
    post(client, customer_message(bsuid=BSUID, name="Pessoa da WABA 1"))
    post(
        client,
        customer_message(
            bsuid=BSUID, name="Pessoa da WABA 2", phone_number_id=OTHER_NUMBER, waba_id=OTHER_WABA
        ),
    )
    first, second = _all(Contact)
    assert first.id != second.id  # never merged by the BSUID value alone
    scopes = {(i.contact_id, i.waba_id) for i in _all(ContactIdentity)}
    assert scopes == {(first.id, "100000000000001"), (second.id, OTHER_WABA)}
    # Each later message finds its own portfolio's person.
    post(client, customer_message(bsuid=BSUID, text="de novo na 2", phone_number_id=OTHER_NUMBER))
    conversations = {c.contact_id: c.unread_count for c in _all(Conversation)}
    assert conversations == {first.id: 1, second.id: 2}


def test_bsuid_seen_on_another_waba_of_the_same_portfolio_client_is_its_own(
    client, shop, create_whatsapp_credential
):
    """Two numbers of one WABA share the BSUID: one person, two conversations."""
    second = create_whatsapp_credential(
        shop, {"access_token": "t3", "waba_id": "100000000000001", "phone_number_id": "777"}
    )
    post(client, customer_message(bsuid=BSUID))
    post(client, customer_message(bsuid=BSUID, phone_number_id="777"))
    (contact,) = _all(Contact)
    assert {c.number_id for c in _all(Conversation)} == {shop.credential.id, second.id}


def test_message_without_phone_or_bsuid_is_counted_and_the_rest_processed(client, shop):
    good = {"from_user_id": BSUID, "id": new_wamid(), "timestamp": "1780000000",
            "type": "text", "text": {"body": "essa chega"}}  # fmt: skip
    nobody = {"id": new_wamid(), "timestamp": "1780000000", "type": "text",
              "text": {"body": "de quem?"}}  # fmt: skip
    no_id = {"from": "5511987654321", "timestamp": "1780000000", "type": "text",
             "text": {"body": "sem id"}}  # fmt: skip
    contacts = [{"profile": {"name": "Maria"}, "user_id": BSUID}]
    value = messages_value(contacts, [nobody, good, no_id])
    value["statuses"] = []
    post(client, change("messages", value))
    (event,) = _all(WebhookEvent)
    assert event.processed_at is not None and event.error is None and event.dead_at is None
    assert event.malformed == 2 and event.routed and event.client_id == shop.id
    (message,) = _all(Message)
    assert message.body == "essa chega"
    assert _all(Contact)[0].bsuid == BSUID


def _race(app, payloads: list[dict]) -> list[BaseException]:
    barrier = threading.Barrier(len(payloads))
    errors: list[BaseException] = []

    def deliver(payload: dict) -> None:
        try:
            with app.app_context():
                http = app.test_client()
                barrier.wait(timeout=10)
                post(http, payload)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_first_messages_make_one_contact_and_one_conversation(app, shop, round_):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency needs PostgreSQL (SQLite serializes writers)")
    bsuid = f"BR.77700{round_}"
    payloads = [customer_message(bsuid=bsuid, username="corrida", text=f"{n}") for n in range(6)]
    payloads += [customer_message(bsuid=bsuid, wa_id="5511955554444", text="com telefone")]
    assert _race(app, payloads) == []
    contacts = _all(Contact)
    assert len(contacts) == 1, [(c.id, c.phone_e164, c.bsuid) for c in contacts]
    assert contacts[0].bsuid == bsuid and contacts[0].phone_e164 == "+5511955554444"
    (conversation,) = _all(Conversation)
    assert conversation.unread_count == 7
    assert len(_all(Message)) == 7 and len(_all(ContactIdentity)) == 1
    assert all(e.error is None and e.processed_at is not None for e in _all(WebhookEvent))


def test_concurrent_links_of_two_contacts_merge_once(app, shop, create_contact):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency needs PostgreSQL")
    create_contact(shop, "+5511955554444", name="Por telefone")
    post(app.test_client(), customer_message(bsuid=BSUID, text="por bsuid"))
    assert len(_all(Contact)) == 2
    payloads = [
        customer_message(bsuid=BSUID, wa_id="5511955554444", text=f"os dois {n}") for n in range(5)
    ]
    assert _race(app, payloads) == []
    (contact,) = _all(Contact)
    assert (contact.phone_e164, contact.bsuid) == ("+5511955554444", BSUID)
    (conversation,) = _all(Conversation)
    assert conversation.unread_count == 6
    assert len(_all(Message)) == 6
    assert PHONE_NUMBER_ID


def test_an_unreadable_phone_with_a_bsuid_is_stored_by_the_bsuid(client, shop):
    post(client, customer_message(bsuid=BSUID, wa_id="12"))
    (contact,) = _all(Contact)
    assert (contact.bsuid, contact.phone_e164) == (BSUID, None)
    assert len(_all(Message)) == 1 and _all(WebhookEvent)[0].malformed == 0
    post(client, customer_message(wa_id="12", text="só o telefone ilegível"))
    assert _all(WebhookEvent)[-1].malformed == 1 and len(_all(Message)) == 1
