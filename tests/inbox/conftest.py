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


@pytest.fixture
def conversation(create_contact, create_message):
    """A contact of ``tenant`` with one inbound message ``minutes_ago`` (window state)."""

    def _make(tenant, *, minutes_ago: int = 5, body: str = "Oi, tudo bem?", **contact_kwargs):
        at = utcnow() - timedelta(minutes=minutes_ago)
        contact = create_contact(
            tenant,
            last_inbound_at=at,
            last_message_at=at,
            last_message_preview=body,
            unread_count=contact_kwargs.pop("unread_count", 1),
            **contact_kwargs,
        )
        inbound = create_message(
            tenant, contact, body=body, wamid=f"wamid.in.{contact.id}.{minutes_ago}", created_at=at
        )
        return contact, inbound

    return _make


@pytest.fixture
def bulk_messages(app):
    return insert_messages


def insert_messages(tenant, contact, count: int, *, start=None) -> None:
    """Insert ``count`` messages in one statement (ids ascending with time)."""
    start = start or utcnow() - timedelta(days=30)
    rows = [
        {
            "client_id": tenant.id,
            "contact_id": contact.id,
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
