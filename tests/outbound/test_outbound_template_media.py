"""send_template renders the body; send_media uploads then sends; mark_read."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clickpro.models import Author, Message, MessageStatus
from clickpro.services.messaging.outbound import (
    OutboundError,
    WindowClosed,
    mark_read,
    media_type_of,
    send_media,
    send_template,
)

COMPONENTS = [
    {"type": "BODY", "text": "Oi {{1}}, seu cupom é {{2}}.",
     "example": {"body_text": [["Maria", "BF30"]]}},
    {"type": "FOOTER", "text": "Responda SAIR para não receber mais"},
]  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def approved(shop, create_template):
    """A template APPROVED both here and in the sandbox."""
    account = shop.sandbox.account_for_number("100000000000011")
    body, status = shop.sandbox.templates.create(
        account,
        {"name": "cupom", "language": "pt_BR", "category": "MARKETING", "components": COMPONENTS},
    )
    assert status == 200
    shop.sandbox.templates.set_status(body["id"], "APPROVED")
    return create_template(shop.tenant, name="cupom", components=COMPONENTS,
                           meta_template_id=body["id"])  # fmt: skip


def test_template_send_renders_body(app, db, shop, approved):
    message = send_template(shop.conversation, approved.id, {"body": ["Maria", "BF30"]},
        author=Author.SYSTEM,
    )  # fmt: skip
    assert message.status == MessageStatus.SENT
    assert message.type == "template" and message.template_id == approved.id
    assert message.body == "Oi Maria, seu cupom é BF30."
    sent = shop.sandbox.sends[-1]
    assert (sent["type"], sent["template"], sent["language"]) == ("template", "cupom", "pt_BR")
    assert sent["callback_data"] == f"clickpro:m:{message.id}"
    assert message.wamid == sent["wamid"]


def test_template_ignores_the_window(app, db, shop, approved):
    shop.conversation.last_inbound_at = None
    db.session.commit()
    message = send_template(shop.conversation, approved.id,
                            {"body": ["Ana", "X1"]}, author=Author.SYSTEM)  # fmt: skip
    assert message.status == MessageStatus.SENT


def test_template_wrong_values_send_nothing(app, db, shop, approved):
    with pytest.raises(OutboundError) as caught:
        send_template(shop.conversation, approved.id, {"body": ["Só um"]},
                      author=Author.SYSTEM)  # fmt: skip
    assert "2 variável" in str(caught.value)
    assert shop.sandbox.sends == []
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_unapproved_template_is_refused(app, db, shop, create_template):
    pending = create_template(shop.tenant, status="PENDING")
    with pytest.raises(OutboundError):
        send_template(shop.conversation, pending.id, {"body": ["Maria"]},
                      author=Author.SYSTEM)  # fmt: skip
    assert shop.sandbox.sends == []


def test_send_media_uploads_then_sends(app, db, shop):
    message = send_media(shop.conversation, content=PNG, mime_type="image/png",
                         filename="foto.png", caption="Olha a foto", author=Author.AGENT)  # fmt: skip
    assert message.status == MessageStatus.SENT
    assert message.type == "image"
    assert message.media_id in shop.sandbox.media
    assert shop.sandbox.media[message.media_id]["content"] == PNG
    assert message.body == "Olha a foto"
    assert shop.sandbox.sends[-1]["type"] == "image"


def test_send_document_keeps_filename(app, db, shop):
    message = send_media(shop.conversation, content=b"%PDF-1.4 demo",
                         mime_type="application/pdf", filename="pedido.pdf", author=Author.AGENT)  # fmt: skip
    assert message.type == "document"
    assert message.payload["document"]["filename"] == "pedido.pdf"
    assert message.body == "pedido.pdf"


def test_media_outside_window_and_too_big(app, db, shop):
    with pytest.raises(OutboundError):
        send_media(shop.conversation, content=b"x" * (5 * 1024 * 1024 + 1),
                   mime_type="image/jpeg", filename="big.jpg", author=Author.AGENT)  # fmt: skip
    shop.conversation.last_inbound_at = None
    db.session.commit()
    with pytest.raises(WindowClosed):
        send_media(shop.conversation, content=PNG, mime_type="image/png",
                   filename="foto.png", author=Author.AGENT)  # fmt: skip
    assert shop.sandbox.sends == [] and shop.sandbox.media == {}


def test_media_type_of():
    assert media_type_of("image/jpeg") == "image"
    assert media_type_of("audio/ogg") == "audio"
    assert media_type_of("video/mp4") == "video"
    assert media_type_of("application/pdf") == "document"


def test_mark_read(app, db, shop, create_message):
    inbound = create_message(shop.tenant, shop.contact, wamid="wamid.INBOUND1")
    mark_read(shop.tenant.id, inbound.id)
    assert shop.sandbox.read_marks == ["wamid.INBOUND1"]
    outbound = create_message(shop.tenant, shop.contact, direction="OUT", wamid="wamid.OUT1")
    mark_read(shop.tenant.id, outbound.id)  # only inbound messages are marked
    assert shop.sandbox.read_marks == ["wamid.INBOUND1"]
