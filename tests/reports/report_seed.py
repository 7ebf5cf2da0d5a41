"""Helpers shared by the report tests (a module of its own: ``from conftest import`` picks
whichever conftest was imported first when several test folders run together)."""

from __future__ import annotations

from datetime import UTC, datetime

from clickpro.extensions import db
from clickpro.models import Message


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in November 2026, UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def add_message(tenant, contact, number, **kw) -> Message:
    kw.setdefault("direction", "IN")
    kw.setdefault("author", "CONTACT" if kw["direction"] == "IN" else "AGENT")
    kw.setdefault("status", "RECEIVED" if kw["direction"] == "IN" else "SENT")
    kw.setdefault("body", "Olá")
    message = Message(client_id=tenant.id, contact_id=contact.id, number_id=number.id, **kw)
    db.session.add(message)
    db.session.commit()
    return message
