"""End to end through the sandbox: a username customer (no phone in the webhooks)
writes, the AI answers, and the answer goes out addressed by BSUID (``recipient``)."""

from __future__ import annotations

import sqlalchemy as sa
from identity_helpers import PHONE_NUMBER_ID

from clickpro.crypto import encrypt, last4
from clickpro.extensions import db
from clickpro.models import AIReplyRun, Contact, Conversation, Message, OpenAICredential

BSUID = "BR.1502576394655843"
KEY = "sk-test-clickpro-ident-0001"


def test_username_customer_gets_an_ai_answer_sent_to_the_bsuid(
    sandbox, create_client, create_whatsapp_credential
):
    tenant = create_client("Loja IA Usuário", ai_enabled=True)
    create_whatsapp_credential(tenant)
    db.session.add(
        OpenAICredential(client_id=tenant.id, api_key_enc=encrypt(KEY), key_last4=last4(KEY),
                         assistant_id="cpa_ident01", instructions="Atenda a Loja.",
                         status="VALID")
    )  # fmt: skip
    db.session.commit()
    sent = sandbox.simulate_inbound(
        PHONE_NUMBER_ID, BSUID, text="Vocês entregam em Campinas?", username="lojadamaria"
    )
    assert "from" not in sent and sent["from_user_id"] == BSUID
    sandbox.flush()
    db.session.expire_all()
    contact = db.session.scalar(sa.select(Contact))
    assert contact.phone_e164 is None and contact.bsuid == BSUID
    (run,) = db.session.scalars(sa.select(AIReplyRun)).all()
    assert run.contact_id == contact.id
    answers = list(db.session.scalars(sa.select(Message).where(Message.author == "AI")))
    assert len(answers) == 1
    conversation = db.session.scalar(sa.select(Conversation))
    assert answers[0].conversation_id == conversation.id
    (send,) = sandbox.list_sends(PHONE_NUMBER_ID)
    assert send["recipient"] == BSUID and send["to"] is None
