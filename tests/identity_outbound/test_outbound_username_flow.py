"""The whole path for a WhatsApp username user, through the sandbox: the customer writes
with no phone (webhook with user_id only) → the conversation is in the inbox → the
agent's reply goes out with ``recipient`` → delivered → read."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Contact, Conversation, Message, MessageStatus

PNID = "100000000000011"


def test_username_user_inbound_then_agent_reply_with_recipient_to_read(
    app, client, sandbox, create_client, create_whatsapp_credential, login_as
):
    tenant = create_client("Loja Username")
    create_whatsapp_credential(tenant)
    account = sandbox.account_for_number(PNID)
    bsuid = sandbox.bsuid_of(account, "5511955550123")
    assert bsuid and bsuid.startswith("BR.")
    # The sandbox's username customer: its webhook carries the BSUID and no phone.
    sandbox.simulate_inbound(PNID, "5511955550123", text="Tem em outra cor?", name="Sheena",
                             username="realsheena", hide_phone=True)  # fmt: skip
    sandbox.flush()
    db.session.expire_all()
    contact = db.session.scalar(
        sa.select(Contact).where(Contact.client_id == tenant.id, Contact.bsuid == bsuid)
    )
    assert contact is not None and contact.phone_e164 is None
    assert contact.username == "realsheena"
    conversation = db.session.scalar(
        sa.select(Conversation).where(Conversation.contact_id == contact.id)
    )
    assert conversation is not None

    web = login_as(tenant.admin, tenant)
    sent = web.post(
        f"/inbox/api/conversations/{conversation.id}/messages", json={"body": "Temos sim!"}
    )
    assert sent.status_code == 201, sent.get_data(as_text=True)
    message_id = sent.get_json()["message"]["id"]
    wire = sandbox.sends[-1]
    assert wire["recipient"] == bsuid and wire["to"] is None and not wire["dropped"]

    sandbox.flush()  # sent → delivered → read
    db.session.expire_all()
    row = db.session.get(Message, message_id)
    assert row.status == MessageStatus.READ
    assert row.payload["recipient"] == bsuid and "to" not in row.payload
