"""SAIR on one of a client's numbers: the confirmation goes out from that number."""

from __future__ import annotations

import sqlalchemy as sa
from optout_helpers import PHONE

from clickpro.extensions import db
from clickpro.models import Conversation, Message
from clickpro.services.contacts import optout, optout_rules


def _system_messages() -> list[Message]:
    db.session.expire_all()
    stmt = sa.select(Message).where(Message.author == "SYSTEM").order_by(Message.id)
    return list(db.session.scalars(stmt))


def test_confirmation_is_sent_from_the_number_written_to(
    sandbox, create_client, create_whatsapp_credential
):
    tenant = create_client("Loja Dois Números")
    sales = create_whatsapp_credential(tenant)  # the sandbox's default account
    account = sandbox.create_account(access_token="support-token")
    support = create_whatsapp_credential(tenant, account, display_name="Suporte")

    sandbox.simulate_inbound(support.phone_number_id, PHONE, text="SAIR")
    sandbox.flush()

    assert optout.is_opted_out(tenant.id, PHONE)
    [confirmation] = _system_messages()
    assert confirmation.body == optout_rules.STOP_CONFIRMATION
    conversation = db.session.get(Conversation, confirmation.conversation_id)
    assert conversation.number_id == support.id and confirmation.number_id == support.id
    assert sandbox.sends[-1]["phone_number_id"] == support.phone_number_id
    assert sandbox.sends[-1]["wamid"] == confirmation.wamid

    sandbox.simulate_inbound(sales.phone_number_id, PHONE, text="VOLTAR")
    sandbox.flush()
    assert not optout.is_opted_out(tenant.id, PHONE)
    _, back = _system_messages()
    assert back.body == optout_rules.RESUBSCRIBE_CONFIRMATION and back.number_id == sales.id
    assert sandbox.sends[-1]["phone_number_id"] == sales.phone_number_id
