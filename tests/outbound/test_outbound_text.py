"""send_text: the row comes first, wamid and callback data, window, failures, timeouts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from clickpro.events import message_created
from clickpro.models import Author, CredentialStatus, Message, MessageStatus, Notification
from clickpro.models.base import utcnow
from clickpro.services.credentials import NoCredentials
from clickpro.services.messaging.outbound import (
    OutboundError,
    SendFailed,
    WindowClosed,
    send_text,
    window_open,
)


def _messages(db) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Message).order_by(Message.id)))


def test_send_text_stores_wamid_and_callback(app, db, shop):
    seen = []
    message_created.connect(lambda sender, **kw: seen.append(kw), weak=False)
    try:
        message = send_text(shop.conversation, "Olá Maria!", author=Author.AGENT,
                            agent_id=shop.tenant.admin.id)  # fmt: skip
    finally:
        message_created.receivers.clear()
    sent = shop.sandbox.sends[-1]
    assert message.status == MessageStatus.SENT
    assert message.wamid == sent["wamid"]
    assert message.sent_at is not None
    assert sent["callback_data"] == f"clickpro:m:{message.id}"
    assert sent["to"] == "5511987654321" and sent["type"] == "text"
    assert message.direction == "OUT" and message.author == "AGENT"
    assert message.agent_id == shop.tenant.admin.id
    assert shop.conversation.last_message_preview == "Olá Maria!"
    assert seen == [
        {
            "client_id": shop.tenant.id,
            "message_id": message.id,
            "contact_id": shop.contact.id,
            "conversation_id": shop.conversation.id,
        }
    ]


def test_row_is_committed_before_the_http_call(app, db, shop, spy_sends):
    observed = []

    def on_send(request):
        body = json.loads(request.content)
        message_id = int(body["biz_opaque_callback_data"].rsplit(":", 1)[1])
        with db.engine.connect() as conn:  # a separate connection: only committed rows
            observed.append(
                conn.execute(
                    sa.text("SELECT status, body FROM messages WHERE id = :id"), {"id": message_id}
                ).one()
            )

    spy_sends(on_send)
    send_text(shop.conversation, "Primeiro a linha", author=Author.AI)
    assert observed == [("QUEUED", "Primeiro a linha")]


def test_meta_failure_leaves_a_failed_row(app, db, shop):
    shop.sandbox.set_failures(PNID, [{"code": 131026, "to": ["5511987654321"]}])
    with pytest.raises(SendFailed) as caught:
        send_text(shop.conversation, "Vai falhar", author=Author.AGENT)
    [row] = _messages(db)
    assert caught.value.row.id == row.id
    assert row.status == MessageStatus.FAILED
    assert row.error_code == 131026
    assert "undeliverable" in row.error_title
    assert row.failed_at is not None and row.wamid is None
    assert shop.sandbox.sends == []


PNID = "100000000000011"


def test_closed_window_sends_nothing(app, db, shop):
    shop.conversation.last_inbound_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert not window_open(shop.conversation)
    with pytest.raises(WindowClosed):
        send_text(shop.conversation, "Oi?", author=Author.AGENT)
    assert shop.sandbox.sends == []
    assert _messages(db) == []


def test_never_wrote_means_window_closed(app, db, shop, create_contact):
    stranger = create_contact(shop.tenant, "+5511911112222")
    with pytest.raises(WindowClosed):
        send_text(shop.tenant.id, stranger.id, "Oi?", author=Author.AGENT)
    assert shop.sandbox.sends == []


def test_metas_131047_is_window_closed_too(app, db, shop):
    shop.sandbox.set_failures(PNID, [{"code": 131047, "to": ["5511987654321"]}])
    with pytest.raises(WindowClosed) as caught:
        send_text(shop.conversation, "Oi", author=Author.AGENT, check_window=False)
    assert caught.value.row.status == MessageStatus.FAILED
    assert caught.value.row.error_code == 131047


def test_timeout_is_unknown_and_not_resent(app, db, shop, timeout_on_send):
    message = send_text(shop.conversation, "Chegou?", author=Author.AGENT)
    assert message.status == MessageStatus.UNKNOWN
    assert message.wamid is None
    assert "Network error" in message.error_title
    assert timeout_on_send.sends == 1  # one attempt, no automatic retry
    assert shop.sandbox.sends == []


def test_brazilian_wa_id_without_nine_is_remembered(app, db, shop):
    shop.sandbox.update_config({"br_wa_id_without_nine": True})
    send_text(shop.conversation, "Oi", author=Author.AGENT)
    assert shop.contact.wa_id == "551187654321"
    send_text(shop.conversation, "De novo", author=Author.AGENT)
    assert shop.sandbox.sends[-1]["to"] == "551187654321"


def test_reply_context_is_sent(app, db, shop):
    message = send_text(shop.conversation, "Respondendo", author=Author.AI,
                        reply_to_wamid="wamid.ORIGINAL")  # fmt: skip
    assert message.context_wamid == "wamid.ORIGINAL"
    assert message.payload["context"] == {"message_id": "wamid.ORIGINAL"}


def test_revoked_token_fails_and_marks_the_credential_invalid(app, db, shop):
    shop.sandbox.revoke_token("sandbox-token")
    with pytest.raises(SendFailed):
        send_text(shop.conversation, "Oi", author=Author.AGENT)
    db.session.refresh(shop.credential)
    assert shop.credential.status == CredentialStatus.INVALID
    notes = list(db.session.scalars(sa.select(Notification)))
    assert [n.kind for n in notes] == ["credentials"]
    assert "sandbox-token" not in notes[0].text
    with pytest.raises(NoCredentials):
        send_text(shop.conversation, "Oi", author=Author.AGENT)


def test_bad_input(app, db, shop, tenants, create_contact):
    with pytest.raises(OutboundError):
        send_text(shop.conversation, "   ", author=Author.AGENT)
    with pytest.raises(OutboundError):
        send_text(shop.conversation, "x" * 4097, author=Author.AGENT)
    other = create_contact(tenants.b)
    with pytest.raises(OutboundError):  # another client's contact: not found
        send_text(shop.tenant.id, other.id, "Oi", author=Author.AGENT)
    with pytest.raises(NoCredentials):
        send_text(tenants.b.id, other.id, "Oi", author=Author.AGENT)
    assert _messages(db) == []


def test_status_that_arrived_before_the_wamid_is_applied(app, db, shop, after_sends):
    """A 'delivered' webhook stored as pending while our POST was still in flight."""

    def early_status(body):
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO pending_statuses (client_id, wamid, status, payload, received_at) "
                    "VALUES (:c, :w, 'DELIVERED', :p, :t)"
                ),
                {"c": shop.tenant.id, "w": body["messages"][0]["id"], "p": "{}", "t": utcnow()},
            )

    after_sends(early_status)
    message = send_text(shop.conversation, "Rápido", author=Author.AGENT)
    db.session.refresh(message)
    assert message.status == MessageStatus.DELIVERED
    assert db.session.scalar(sa.text("SELECT count(*) FROM pending_statuses")) == 0
