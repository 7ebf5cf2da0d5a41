"""Off-hours reply: once per conversation per closed period, with {abertura} filled."""

from __future__ import annotations

import pytest
from h7_support import events_of, inbound, set_hours, sp, system_texts

from clickpro.extensions import db
from clickpro.models import Conversation

MESSAGE = "Estamos fechados. Voltamos {abertura}."


@pytest.fixture
def conv(tenants, sandbox, create_whatsapp_credential, create_contact, create_conversation):
    create_whatsapp_credential(tenants.a)
    contact = create_contact(tenants.a, phone="+5511988887777")
    return create_conversation(tenants.a, contact)


def test_sent_once_per_closed_period_and_again_next_period(conv, tenants):
    set_hours(tenants.a, off_hours_enabled=True, off_hours_message=MESSAGE)
    inbound(conv, sp(2026, 3, 2, 20, 0))  # Monday night
    assert system_texts(conv) == ["Estamos fechados. Voltamos amanhã às 8h."]
    inbound(conv, sp(2026, 3, 2, 23, 30))  # same night: none
    inbound(conv, sp(2026, 3, 3, 6, 0))  # same closed period (until Tuesday 8h)
    assert len(system_texts(conv)) == 1
    inbound(conv, sp(2026, 3, 3, 9, 0))  # open: none
    assert len(system_texts(conv)) == 1
    inbound(conv, sp(2026, 3, 3, 12, 15))  # lunch: a new period → again
    assert system_texts(conv)[-1] == "Estamos fechados. Voltamos hoje às 13h."
    inbound(conv, sp(2026, 3, 6, 19, 0))  # Friday night
    assert system_texts(conv)[-1] == "Estamos fechados. Voltamos segunda-feira às 8h."
    assert len(system_texts(conv)) == 3
    events = events_of(conv, "off_hours_reply")
    assert len(events) == 3 and all(e.data["message_id"] for e in events)
    assert db.session.get(Conversation, conv.id).off_hours_reply_period.startswith("2026-03-09")


def test_disabled_or_no_hours_sends_nothing(conv, tenants):
    inbound(conv, sp(2026, 3, 2, 20, 0))  # no hours row: always open
    set_hours(tenants.a, off_hours_enabled=False, off_hours_message=MESSAGE)
    inbound(conv, sp(2026, 3, 2, 21, 0))
    assert system_texts(conv) == []


def test_holiday_reply_names_the_next_working_day(conv, tenants):
    set_hours(tenants.a, holidays=["2026-03-03"], off_hours_enabled=True,
              off_hours_message=MESSAGE)  # fmt: skip
    inbound(conv, sp(2026, 3, 3, 10, 0))
    assert system_texts(conv) == ["Estamos fechados. Voltamos amanhã às 8h."]


def test_team_hours_win_over_the_client_and_tenancy(conv, tenants):
    from h7_support import make_team

    team = make_team(tenants.a)
    set_hours(tenants.a, off_hours_enabled=True, off_hours_message="cliente {abertura}")
    set_hours(tenants.a, team, weekly={str(d): [["00:00", "24:00"]] for d in range(7)},
              off_hours_enabled=True, off_hours_message="equipe")  # fmt: skip
    # Another client's closed hours never apply here.
    set_hours(tenants.b, weekly={}, off_hours_enabled=True, off_hours_message="B")
    conv.team_id = team.id
    db.session.commit()
    inbound(conv, sp(2026, 3, 2, 22, 0))  # the team is open 24 h
    assert system_texts(conv) == []
