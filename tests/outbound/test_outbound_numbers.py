"""Single sends per number: a conversation's messages go out from its number with that
number's token, and the 24-hour window is the conversation's (per number)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from clickpro.models import Author, Message, MessageStatus
from clickpro.models.base import utcnow
from clickpro.services.credentials import NoCredentials
from clickpro.services.messaging.outbound import (
    OutboundError,
    WindowClosed,
    send_text,
    window_open,
)

PNID = "100000000000011"


@pytest.fixture
def support(shop, create_whatsapp_credential):
    """The shop's second number, on its own sandbox account (its own token)."""
    account = shop.sandbox.create_account(access_token="support-token")
    return create_whatsapp_credential(shop.tenant, account, display_name="Suporte")


def test_send_goes_out_from_the_conversations_number(app, db, shop, support, create_conversation):
    on_support = create_conversation(
        shop.tenant, shop.contact, support, last_inbound_at=utcnow() - timedelta(minutes=5)
    )
    message = send_text(on_support, "Oi, aqui é o suporte", author=Author.AGENT)
    sent = shop.sandbox.sends[-1]
    # The sandbox only accepts a number's own token: the right credential was used.
    assert sent["phone_number_id"] == support.phone_number_id
    assert message.status == MessageStatus.SENT and message.wamid == sent["wamid"]
    assert (message.number_id, message.conversation_id) == (support.id, on_support.id)
    db.session.expire_all()
    assert on_support.last_message_preview == "Oi, aqui é o suporte"
    assert shop.conversation.last_message_preview is None  # the other number's is untouched

    first = send_text(shop.conversation, "E aqui, vendas", author=Author.AGENT)
    assert shop.sandbox.sends[-1]["phone_number_id"] == PNID
    assert first.number_id == shop.credential.id


def test_the_window_is_per_number(app, db, shop, support, create_conversation):
    """She wrote to the sales number an hour ago, never to support."""
    on_support = create_conversation(shop.tenant, shop.contact, support)
    assert window_open(shop.conversation) and not window_open(on_support)
    with pytest.raises(WindowClosed):
        send_text(on_support, "Oi?", author=Author.AGENT)
    assert send_text(shop.conversation, "Oi!", author=Author.AGENT).status == MessageStatus.SENT
    # A day later on sales, an hour ago on support: the other way round.
    on_support.last_inbound_at = utcnow() - timedelta(hours=1)
    shop.conversation.last_inbound_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    with pytest.raises(WindowClosed):
        send_text(shop.conversation, "Oi?", author=Author.AGENT)
    assert send_text(on_support, "Oi!", author=Author.AGENT).number_id == support.id
    assert [s["phone_number_id"] for s in shop.sandbox.sends] == [PNID, support.phone_number_id]


def test_compatibility_form_picks_the_named_number(app, db, shop, support, create_conversation):
    on_support = create_conversation(
        shop.tenant, shop.contact, support, last_inbound_at=utcnow() - timedelta(minutes=1)
    )
    message = send_text(
        shop.tenant.id, shop.contact.id, "Oi", author=Author.AGENT, number_id=support.id
    )
    assert (message.number_id, message.conversation_id) == (support.id, on_support.id)
    default = send_text(shop.tenant.id, shop.contact.id, "Oi", author=Author.AGENT)
    assert default.number_id == shop.credential.id  # no number named: the first number


def test_another_clients_number_is_refused(app, db, shop, tenants, create_whatsapp_credential):
    theirs = create_whatsapp_credential(
        tenants.b,
        {"access_token": "b-token", "waba_id": "700000000000001", "phone_number_id": "7000011"},
    )
    with pytest.raises(OutboundError):
        send_text(shop.tenant.id, shop.contact.id, "Oi", author=Author.AGENT, number_id=theirs.id)
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_an_archived_number_does_not_send(app, db, shop, support, create_conversation):
    on_support = create_conversation(
        shop.tenant, shop.contact, support, last_inbound_at=utcnow() - timedelta(minutes=1)
    )
    support.archived_at = utcnow()
    db.session.commit()
    with pytest.raises(NoCredentials):
        send_text(on_support, "Oi", author=Author.AGENT)
    assert shop.sandbox.sends == []
