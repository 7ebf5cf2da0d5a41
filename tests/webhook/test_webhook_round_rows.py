"""An inbound message's slow receivers (AI, flows, media, service cycles) share one load of
its rows (#24): ``events.ROUND_ROWS`` preloads the message, conversation, contact, client
and number in one query and holds them while the round runs, and the owned-row lookups
(``tenancy.get_owned``, ``get_conversation``, ``get_number``) answer from the session
what it already holds — still only to the row's own client."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from webhook_helpers import encode, inbound, recorded_statements

from clickpro import events
from clickpro.extensions import db
from clickpro.models import Conversation, Message
from clickpro.services.conversations import get_conversation, get_number, inbound_rows
from clickpro.services.webhook.ingest import store_event
from clickpro.tasks import redis_connection
from clickpro.tasks.webhooks import PENDING_KEY, _flag, drain_pending
from clickpro.tenancy import get_owned


@pytest.fixture
def received(app, shop) -> dict:
    """One inbound text, processed (its rounds ran once); the round's kwargs."""
    redis = redis_connection(app)
    redis.delete(PENDING_KEY, _flag(0))
    event_id = store_event(encode(inbound("5511987650001")))
    db.session.commit()
    redis.rpush(PENDING_KEY, event_id)
    redis.set(_flag(0), 1)
    assert drain_pending(0) == 1
    message = db.session.scalars(sa.select(Message).where(Message.client_id == shop.id)).one()
    kwargs = {
        "client_id": shop.id,
        "message_id": message.id,
        "contact_id": message.contact_id,
        "conversation_id": message.conversation_id,
        "number_id": message.number_id,
    }
    db.session.remove()
    return kwargs


def _loads_of(seen: list[str], table: str) -> int:
    """Statements that load whole rows of ``table`` (``SELECT table.id, …``)."""
    return sum(1 for s in seen if s.startswith(f"SELECT {table}.id,"))


def test_the_slow_round_loads_the_message_and_its_client_once(app, received):
    with recorded_statements() as seen:
        events.send_round(events.message_received, False, **received)
    db.session.remove()
    # the preload (one statement, the message's columns first) and no other load of the
    # message, its contact or its client, however many receivers look them up
    assert _loads_of(seen, "messages") == 1
    assert _loads_of(seen, "contacts") == 0 and _loads_of(seen, "clients") == 0
    # the conversation once more, after the service cycle's commit expired it
    cycle = next(i for i, s in enumerate(seen) if s.startswith("INSERT INTO conversation_cycles"))
    assert _loads_of(seen[:cycle], "conversations") == 0
    assert _loads_of(seen, "conversations") <= 1
    assert len(seen) <= 12, seen  # 21 before (#24): each receiver loaded its own rows


def test_a_failed_preload_leaves_the_receivers_their_own_lookups(
    app, received, monkeypatch, caplog
):
    calls = []

    def receiver(sender, *, message_id: int, **_):
        calls.append(db.session.get(Message, message_id).id)

    monkeypatch.setitem(events.ROUND_ROWS, "message-received", "clickpro.no_such_module:rows")
    events.message_received.connect(receiver, sender=app, weak=False)
    try:
        with caplog.at_level(logging.ERROR, logger="clickpro.events"):
            events.send_round(events.message_received, False, **received)
    finally:
        events.message_received.disconnect(receiver)
    assert calls == [received["message_id"]]
    assert "could not preload the rows of a message-received round" in caplog.text


def test_inbound_rows_are_only_the_messages_own_clients(app, received, create_client):
    other = create_client("Outra Loja")
    assert inbound_rows(client_id=other.id, message_id=received["message_id"]) == ()
    rows = inbound_rows(client_id=received["client_id"], message_id=received["message_id"])
    assert [type(r).__name__ for r in rows] == [
        "Message",
        "Conversation",
        "Contact",
        "Client",
        "WhatsAppCredential",
    ]


def test_held_rows_answer_only_their_own_client(app, received, create_client):
    other_id = create_client("Outra Loja").id
    conversation = db.session.get(Conversation, received["conversation_id"])
    message = db.session.get(Message, received["message_id"])
    number = get_number(received["client_id"], received["number_id"])
    with recorded_statements() as seen:
        assert get_conversation(received["client_id"], conversation.id) is conversation
        assert get_owned(Message, message.id, client_id=received["client_id"]) is message
        assert get_number(received["client_id"], received["number_id"]) is number
        assert seen == []  # answered from the session
        assert get_conversation(other_id, conversation.id) is None
        assert get_owned(Message, message.id, client_id=other_id) is None
        assert get_number(other_id, received["number_id"]) is None
        assert seen == []  # refused from the session too: the row is not theirs


def test_an_expired_row_is_read_again(app, received):
    conversation = get_conversation(received["client_id"], received["conversation_id"])
    db.session.commit()  # expires what the session holds
    with db.engine.begin() as other_connection:  # another process changes the row
        other_connection.execute(
            sa.text("UPDATE conversations SET unread_count = 42 WHERE id = :id"),
            {"id": received["conversation_id"]},  # (conversation.id would refresh it)
        )
    with recorded_statements() as seen:
        again = get_conversation(received["client_id"], received["conversation_id"])
    assert again is conversation and again.unread_count == 42
    assert _loads_of(seen, "conversations") == 1
