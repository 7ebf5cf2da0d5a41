"""A contact whose stored BSUID is not valid (stored before the webhook checked the format)
and who has no phone: every send path answers a clear refusal before anything is stored or
sent (QA16-D3: the inbox answered 500 on an uncaught ValueError)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Author, Contact, Message
from clickpro.services.conversations import first_number, get_or_create_conversation
from clickpro.services.messaging.addressing import UnusableBsuid
from clickpro.services.messaging.outbound import send_text


def _unusable_contact(tenant, create_whatsapp_credential):
    create_whatsapp_credential(tenant)
    contact = Contact(client_id=tenant.id, bsuid="not-a-bsuid", name="Cliente")
    db.session.add(contact)
    db.session.commit()
    conversation = get_or_create_conversation(tenant.id, contact.id, first_number(tenant.id).id)
    conversation.last_inbound_at = datetime.now(UTC)  # the 24 h window is open
    db.session.commit()
    return contact, conversation


def _messages(tenant) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Message).where(Message.client_id == tenant.id)
    )


def test_inbox_reply_to_an_unusable_bsuid_is_a_clear_refusal(
    app, client, sandbox, create_client, create_whatsapp_credential, login_as
):
    tenant = create_client("Unusable BSUID inbox")
    _contact, conversation = _unusable_contact(tenant, create_whatsapp_credential)
    web = login_as(tenant.admin, tenant)
    response = web.post(
        f"/inbox/api/conversations/{conversation.id}/messages", json={"body": "Olá"}
    )
    text = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, text
    error = response.get_json()["error"]
    assert error["code"] == "bsuid_invalid", text
    assert "BSUID guardado para este contato não é válido" in error["message"]
    assert _messages(tenant) == 0 and sandbox.sends == []


def test_service_send_raises_the_service_error(
    app, sandbox, create_client, create_whatsapp_credential
):
    tenant = create_client("Unusable BSUID service")
    contact, _conversation = _unusable_contact(tenant, create_whatsapp_credential)
    with pytest.raises(UnusableBsuid) as caught:
        send_text(tenant.id, contact.id, "Olá", author=Author.AGENT, check_window=False)
    assert caught.value.code == "bsuid_invalid"
    assert _messages(tenant) == 0
