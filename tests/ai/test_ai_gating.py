"""No reply when AI is off, without credentials, to opted-out contacts, outside hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clickpro.services.ai import reply as ai_reply
from clickpro.services.contacts.optout import add_opt_out


def test_no_reply_when_ai_is_off(shop, db):
    shop.tenant.ai_enabled = False
    db.session.commit()
    shop.say("Oi")
    assert shop.ai_messages() == [] and shop.openai_calls() == 0


def test_no_reply_when_the_key_is_invalid(shop, db):
    shop.credential.status = "INVALID"
    db.session.commit()
    shop.say("Oi")
    assert shop.ai_messages() == [] and shop.openai_calls() == 0


def test_no_reply_without_openai_credentials(shop, db):
    db.session.delete(shop.credential)
    db.session.commit()
    shop.say("Oi")
    assert shop.ai_messages() == [] and shop.openai_calls() == 0


def test_no_reply_to_an_opted_out_contact(shop):
    add_opt_out(shop.tenant.id, shop.phone)
    shop.say("Oi")
    assert shop.ai_messages() == [] and shop.openai_calls() == 0


def test_stop_keyword_is_left_to_the_optout_plugin(shop):
    shop.say("SAIR")
    assert shop.ai_messages() == [] and shop.openai_calls() == 0


HOURS = {
    "business_hours": {"mode": "custom", "days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}
}


@pytest.mark.parametrize(
    ("now", "answered"),
    [
        (datetime(2026, 11, 23, 13, 0, tzinfo=UTC), True),  # Monday 10:00 in São Paulo
        (datetime(2026, 11, 23, 22, 0, tzinfo=UTC), False),  # Monday 19:00
        (datetime(2026, 11, 22, 13, 0, tzinfo=UTC), False),  # Sunday 10:00
    ],
)
def test_business_hours_use_the_clients_clock(shop, db, monkeypatch, now, answered):
    shop.credential.options = HOURS
    db.session.commit()
    monkeypatch.setattr(ai_reply, "clock", lambda: now)
    shop.say("Oi")
    assert len(shop.ai_messages()) == (1 if answered else 0)
    assert shop.openai_calls() == (1 if answered else 0)
