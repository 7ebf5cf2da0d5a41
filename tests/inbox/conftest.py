"""Inbox fixtures: a client wired to the in-process sandbox, conversations in bulk."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from clickpro.extensions import db as _db
from clickpro.models import Message
from clickpro.models.base import utcnow


@pytest.fixture
def wired(tenants, sandbox, create_whatsapp_credential):
    """Client A with a VALID credential on the sandbox's default account."""
    create_whatsapp_credential(tenants.a)
    return tenants


CONVERSATION_STATE = ("status", "unread_count", "assigned_user_id", "ai_paused", "resolved_at")


@pytest.fixture
def conversation(create_contact, create_conversation, create_message):
    """A conversation of ``tenant`` (a new contact on ``number``, default the client's
    first number) with one inbound message ``minutes_ago`` (window state).

    Returns (conversation, inbound message); state keywords (status, unread_count,
    assigned_user_id, ai_paused) go to the conversation, the others to the contact;
    ``contact=`` reuses a contact (its conversation on another number)."""

    def _make(
        tenant,
        *,
        minutes_ago: int = 5,
        body: str = "Oi, tudo bem?",
        number=None,
        contact=None,
        **kwargs,
    ):
        at = utcnow() - timedelta(minutes=minutes_ago)
        state = {k: kwargs.pop(k) for k in CONVERSATION_STATE if k in kwargs}
        state.setdefault("unread_count", 1)
        contact = contact or create_contact(tenant, **kwargs)
        conv = create_conversation(
            tenant,
            contact,
            number,
            last_inbound_at=at,
            last_message_at=at,
            last_message_preview=body,
            **state,
        )
        inbound = create_message(
            tenant,
            contact,
            conversation=conv,
            body=body,
            wamid=f"wamid.in.{conv.id}.{minutes_ago}",
            created_at=at,
        )
        return conv, inbound

    return _make


@pytest.fixture
def bulk_messages(app):
    return insert_messages


def insert_messages(tenant, conversation, count: int, *, start=None) -> None:
    """Insert ``count`` messages of ``conversation`` in one statement (ids ascending
    with time)."""
    start = start or utcnow() - timedelta(days=30)
    rows = [
        {
            "client_id": tenant.id,
            "contact_id": conversation.contact_id,
            "number_id": conversation.number_id,
            "conversation_id": conversation.id,
            "direction": "IN" if n % 2 == 0 else "OUT",
            "author": "CONTACT" if n % 2 == 0 else "AGENT",
            "type": "text",
            "body": f"mensagem número {n}",
            "payload": {},
            "status": "RECEIVED" if n % 2 == 0 else "READ",
            "is_internal_note": False,
            "attempts": 0,
            "created_at": start + timedelta(seconds=n),
            "updated_at": start + timedelta(seconds=n),
        }
        for n in range(count)
    ]
    _db.session.execute(sa.insert(Message), rows)
    _db.session.commit()


@pytest.fixture
def approved_template(sandbox, create_template):
    """A template APPROVED both in our database and in the sandbox's WABA."""

    def _make(tenant, name: str = "retomar_contato"):
        template = create_template(tenant, name=name)
        account = sandbox.account_for_number("100000000000011")
        body, status = sandbox.templates.create(
            account,
            {
                "name": template.name,
                "language": template.language,
                "category": template.category,
                "components": template.components,
            },
        )
        assert status == 200, body
        sandbox.templates.set_status(body["id"], "APPROVED")
        return template

    return _make


@pytest.fixture
def message_in(create_message):
    """A message of ``conversation`` (its contact, on its number)."""
    from clickpro.models import Client, Contact

    def _make(conv, **kwargs):
        tenant = _db.session.get(Client, conv.client_id)
        contact = _db.session.get(Contact, conv.contact_id)
        return create_message(tenant, contact, conversation=conv, **kwargs)

    return _make


@pytest.fixture
def second_number(sandbox, create_whatsapp_credential):
    """A second number of ``tenant`` on its own sandbox account (sends work from it)."""

    def _make(tenant, display_name: str = "Suporte"):
        account = sandbox.create_account(display_phone_number="+55 11 3000-0002").public()
        return create_whatsapp_credential(tenant, account, display_name=display_name)

    return _make
