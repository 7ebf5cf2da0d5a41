"""Single sends address a phone contact with ``to`` and a username-only contact with
``recipient`` (its BSUID); authentication templates never go to a BSUID."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from identity_outbound_helpers import sandbox_template

from clickpro.errors import ServiceError
from clickpro.integrations.meta.messages import Recipient, check_addressing
from clickpro.models import Author, Message, MessageStatus
from clickpro.services.messaging.addressing import BsuidNotAllowed, NoAddress, recipient_of
from clickpro.services.messaging.outbound import send_template, send_text


def _last_request(shop) -> dict:
    return shop.sandbox.sends[-1]


def test_text_to_bsuid_contact_goes_as_recipient(app, db, shop):
    message = send_text(shop.tenant.id, shop.bsuid_contact.id, "Olá Sheena", author=Author.AGENT,
                        check_window=False)  # fmt: skip
    sent = _last_request(shop)
    assert sent["recipient"] == "BR.1502576394655843"
    assert sent["to"] is None and sent["dropped"] is False
    assert message.status == MessageStatus.SENT and message.wamid == sent["wamid"]
    stored = db.session.get(Message, message.id).payload
    assert stored["recipient"] == "BR.1502576394655843" and "to" not in stored
    assert stored["recipient_type"] == "individual"


def test_text_to_phone_contact_goes_in_to(app, db, shop):
    send_text(shop.tenant.id, shop.phone_contact.id, "Olá Maria", author=Author.AGENT,
              check_window=False)  # fmt: skip
    sent = _last_request(shop)
    assert sent["to"] == "5511987654321" and sent["recipient"] is None


def test_contact_with_phone_and_bsuid_uses_the_phone(app, db, shop):
    shop.phone_contact.bsuid = "BR.999000111"
    db.session.commit()
    send_text(shop.tenant.id, shop.phone_contact.id, "Oi", author=Author.AGENT,
              check_window=False)  # fmt: skip
    assert _last_request(shop)["to"] == "5511987654321"
    assert _last_request(shop)["recipient"] is None


def test_template_to_bsuid_contact_and_statuses_come_back(app, db, shop, create_template):
    meta_id = sandbox_template(shop.sandbox, "boas_vindas")
    template = create_template(shop.tenant, name="boas_vindas", meta_template_id=meta_id,
                               components=[{"type": "BODY", "text": "Oi!"}])  # fmt: skip
    message = send_template(shop.tenant.id, shop.bsuid_contact.id, template.id, {},
                            author=Author.AGENT)  # fmt: skip
    assert _last_request(shop)["recipient"] == "BR.1502576394655843"
    shop.sandbox.flush()
    db.session.expire_all()
    row = db.session.get(Message, message.id)
    assert row.status in (MessageStatus.DELIVERED, MessageStatus.READ)


def test_authentication_template_to_bsuid_refused_before_sending(app, db, shop, create_template):
    meta_id = sandbox_template(shop.sandbox, "codigo", category="AUTHENTICATION")
    template = create_template(shop.tenant, name="codigo", category="AUTHENTICATION",
                               meta_template_id=meta_id,
                               components=[{"type": "BODY", "text": "Seu código"}])  # fmt: skip
    before = len(shop.sandbox.sends)
    with pytest.raises(BsuidNotAllowed) as refused:
        send_template(shop.tenant.id, shop.bsuid_contact.id, template.id, {}, author=Author.AGENT)
    assert refused.value.http_status == 422
    assert "autenticação" in str(refused.value) and "131062" in str(refused.value)
    assert len(shop.sandbox.sends) == before
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(Message).where(
            Message.contact_id == shop.bsuid_contact.id)
    ) == 0  # fmt: skip
    # the same template to a phone contact goes out
    send_template(shop.tenant.id, shop.phone_contact.id, template.id, {}, author=Author.AGENT)
    assert len(shop.sandbox.sends) == before + 1


def test_addressing_rules():
    assert Recipient(phone="5511987654321", bsuid="BR.1").fields() == {
        "recipient_type": "individual", "to": "5511987654321"}  # fmt: skip
    assert Recipient(bsuid="BR.1").fields() == {"recipient_type": "individual",
                                                 "recipient": "BR.1"}  # fmt: skip
    with pytest.raises(ValueError):
        Recipient(phone="BR.1502576394655843")  # a BSUID never goes in "to"
    with pytest.raises(ValueError):
        check_addressing({"to": "BR.1502576394655843", "type": "text"})
    with pytest.raises(ValueError):
        check_addressing({"type": "text"})
    with pytest.raises(NoAddress):
        recipient_of({"phone_e164": None, "wa_id": None, "bsuid": None})
    assert issubclass(NoAddress, ServiceError)
    assert recipient_of({"phone_e164": "+5511987654321", "bsuid": "BR.1"}).phone == "5511987654321"
