"""Service cycles and SLA: deadlines and timers in business hours only; the breach job
marks and notifies once; a resolution closes the cycle; tenancy."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from h7_support import cycles_of, events_of, inbound, make_team, set_hours, sp

from clickpro.extensions import db
from clickpro.models import Conversation, Notification
from clickpro.services.inbox import actions
from clickpro.services.teams import cycles, sla


@pytest.fixture
def setup(tenants, sandbox, create_whatsapp_credential, create_contact, create_conversation):
    create_whatsapp_credential(tenants.a)
    team = make_team(tenants.a, sla_first_response_minutes=30, sla_resolution_minutes=240)
    set_hours(tenants.a)
    contact = create_contact(tenants.a, phone="+5511988886666")
    conv = create_conversation(tenants.a, contact, team_id=team.id)
    return tenants, team, conv


def _reply(conv, at, author="AGENT"):
    from clickpro.events import message_created, send_safely
    from clickpro.models import Message

    msg = Message(client_id=conv.client_id, contact_id=conv.contact_id, number_id=conv.number_id,
                  conversation_id=conv.id, direction="OUT", author=author, type="text",
                  body="Olá!", status="SENT", created_at=at)  # fmt: skip
    db.session.add(msg)
    db.session.commit()
    send_safely(message_created, client_id=conv.client_id, message_id=msg.id,
                contact_id=conv.contact_id, conversation_id=conv.id)  # fmt: skip


def test_due_instants_count_business_hours(setup):
    _tenants, team, conv = setup
    inbound(conv, sp(2026, 3, 2, 11, 45))  # Monday, 15 min before lunch
    [cycle] = cycles_of(conv)
    assert cycle.team_id == team.id
    # 30 business minutes: 11:45-12:00, lunch, 13:00-13:15.
    assert cycle.first_response_due_at == sp(2026, 3, 2, 13, 15)
    # 240 min: 15 min + 5 h afternoon ≥ 4 h → 16:45.
    assert cycle.resolution_due_at == sp(2026, 3, 2, 16, 45)
    stored = db.session.get(Conversation, conv.id)
    assert stored.first_response_due_at == cycle.first_response_due_at
    assert stored.resolution_due_at == cycle.resolution_due_at
    # A second message in the same cycle opens nothing.
    inbound(conv, sp(2026, 3, 2, 11, 50))
    assert len(cycles_of(conv)) == 1


def test_first_response_and_resolution_seconds_skip_closed_time(setup):
    tenants, _team, conv = setup
    inbound(conv, sp(2026, 3, 2, 17, 30))  # Monday 17:30
    _reply(conv, sp(2026, 3, 3, 8, 10))  # Tuesday 8:10: 30 + 10 business minutes
    _reply(conv, sp(2026, 3, 3, 9, 0))  # a second reply changes nothing
    [cycle] = cycles_of(conv)
    assert cycle.first_response_seconds == 40 * 60
    assert cycle.first_response_at == sp(2026, 3, 3, 8, 10)
    assert db.session.get(Conversation, conv.id).first_response_at == sp(2026, 3, 3, 8, 10)
    conv = db.session.get(Conversation, conv.id)
    conv.assigned_user_id = tenants.a_user.id
    db.session.commit()
    actions.set_status(tenants.a.id, conv.id, "RESOLVED")
    # resolved_at is real "now"; close again at a fixed instant to check the count.
    [cycle] = cycles_of(conv)
    assert cycle.resolved_at is not None and cycle.agent_user_id == tenants.a_user.id
    assert cycle.resolution_seconds == sla_seconds(conv, sp(2026, 3, 2, 17, 30), cycle.resolved_at)
    # The customer writes again: a new cycle.
    inbound(conv, sp(2026, 3, 4, 9, 0))
    assert [c.resolved_at is None for c in cycles_of(conv)] == [False, True]


def sla_seconds(conv, a, b):
    from clickpro.services.teams.hours import schedule_for

    return schedule_for(conv.client_id, conv.team_id).business_seconds(a, b)


def test_ai_reply_counts_system_does_not(setup):
    _tenants, _team, conv = setup
    inbound(conv, sp(2026, 3, 2, 9, 0))
    _reply(conv, sp(2026, 3, 2, 9, 1), author="SYSTEM")
    assert cycles_of(conv)[0].first_response_at is None
    _reply(conv, sp(2026, 3, 2, 9, 2), author="AI")
    assert cycles_of(conv)[0].first_response_seconds == 120


def test_breach_job_marks_and_notifies_once(setup):
    tenants, _team, conv = setup
    inbound(conv, sp(2026, 3, 2, 11, 45))  # first response due 13:15
    assert sla.check_breaches(now=sp(2026, 3, 2, 13, 0)) == 0
    assert sla.check_breaches(now=sp(2026, 3, 2, 13, 16)) == 1
    assert sla.check_breaches(now=sp(2026, 3, 2, 13, 30)) == 0  # once
    [cycle] = cycles_of(conv)
    assert cycle.first_response_breached and not cycle.resolution_breached
    assert sla.check_breaches(now=sp(2026, 3, 2, 17, 0)) == 1  # resolution due 16:45
    assert sla.check_breaches(now=sp(2026, 3, 3, 10, 0)) == 0
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "sla_breached")
    ).all()
    assert len(notes) == 2
    assert {n.client_id for n in notes} == {tenants.a.id}
    assert all(n.audience == "admins" and n.conversation_id == conv.id for n in notes)
    kinds = sorted(e.data["kind"] for e in events_of(conv, "sla_breached"))
    assert kinds == ["first_response", "resolution"]


def test_reply_before_due_is_no_breach(setup):
    _tenants, _team, conv = setup
    inbound(conv, sp(2026, 3, 2, 11, 45))
    _reply(conv, sp(2026, 3, 2, 13, 10))
    assert sla.check_breaches(now=sp(2026, 3, 2, 14, 0)) == 0
    assert not cycles_of(conv)[0].first_response_breached


def test_team_change_recomputes_due(setup):
    tenants, team, conv = setup
    inbound(conv, sp(2026, 3, 2, 9, 0))
    fast = make_team(tenants.a, sla_first_response_minutes=5)
    db.session.get(Conversation, conv.id).team_id = fast.id
    db.session.commit()
    cycles.on_conversation_assigned(
        None, client_id=tenants.a.id, conversation_id=conv.id, team_id=fast.id,
        previous_team_id=team.id,
    )  # fmt: skip
    [cycle] = cycles_of(conv)
    assert cycle.team_id == fast.id
    assert cycle.first_response_due_at == sp(2026, 3, 2, 9, 5)
    assert cycle.resolution_due_at is None


def test_tenancy_other_client_unaffected(setup, create_whatsapp_credential, create_contact,
                                         create_conversation):  # fmt: skip
    tenants, team, conv = setup
    account = {"access_token": "tok-b", "waba_id": "100000000000002",
               "phone_number_id": "100000000000099", "app_id": "1"}  # fmt: skip
    create_whatsapp_credential(tenants.b, account)
    other = create_conversation(tenants.b, create_contact(tenants.b, phone="+5511911112222"))
    # A message of client A never touches B's cycles; a forged client id does nothing.
    inbound(conv, sp(2026, 3, 2, 9, 0))
    assert cycles_of(other) == []
    cycles.on_conversation_assigned(None, client_id=tenants.b.id, conversation_id=conv.id,
                                    team_id=None, previous_team_id=team.id)  # fmt: skip
    assert cycles_of(conv)[0].team_id == team.id


def test_breach_tells_the_teams_admins_only(setup, create_member):
    """Admins in the team get it personally; an admin outside the team, the team's agent
    and the other client get nothing."""
    from clickpro.models import Role, TeamMember
    from clickpro.services.accounts.notifications import is_visible

    tenants, team, conv = setup
    team_admin = create_member(tenants.a, Role.CLIENT_ADMIN)
    db.session.add_all([TeamMember(team_id=team.id, user_id=team_admin.id),
                        TeamMember(team_id=team.id, user_id=tenants.a_user.id)])  # fmt: skip
    db.session.commit()
    inbound(conv, sp(2026, 3, 2, 11, 45))  # first response due 13:15
    assert sla.check_breaches(now=sp(2026, 3, 2, 13, 16)) == 1
    assert sla.check_breaches(now=sp(2026, 3, 2, 13, 20)) == 0
    [note] = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "sla_breached")
    ).all()
    assert note.user_id == team_admin.id and note.conversation_id == conv.id
    assert is_visible(note, team_admin.id)
    assert not is_visible(note, tenants.a.admin.id)  # an admin outside the team
    assert not is_visible(note, tenants.a_user.id)  # the team's agent
