"""What an inbound message costs the service cycles (#24): the cycle claim tells in the
same round trip whether it reopens, deadlines are written only when there are any, the
hours are read once per message, the off-hours reply reads no flow while open — with
the same cycles, deadlines and ``conversation_opened``."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from h7_support import cycles_of, inbound, make_team, set_hours, sp

from clickpro import events
from clickpro.extensions import db
from clickpro.models import Conversation
from clickpro.services.inbox import actions
from clickpro.services.teams import hours, offhours


@contextlib.contextmanager
def _statements(monkeypatch):
    """Statements the cycles receiver sends for the messages of :func:`inbound` (the
    helper's ``message_received`` goes to that receiver alone while counting)."""
    import h7_support
    from flask import current_app

    from clickpro.services.teams import cycles

    seen: list[str] = []
    inside = [False]

    def _count(conn, cursor, statement, *args, **kwargs):
        if inside[0]:
            seen.append(" ".join(statement.split())[:80])

    def _send(signal, **kwargs):
        assert signal is events.message_received
        inside[0] = True
        try:
            cycles.on_message_received(current_app._get_current_object(), **kwargs)
        finally:
            inside[0] = False

    with monkeypatch.context() as patched:
        patched.setattr(h7_support, "send_safely", _send)
        sa.event.listen(db.engine, "before_cursor_execute", _count)
        try:
            yield seen
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", _count)


@contextlib.contextmanager
def _opened_spy():
    calls: list[dict] = []

    def _record(sender, **kwargs):
        calls.append(kwargs)

    events.conversation_opened.connect(_record, weak=False)
    try:
        yield calls
    finally:
        events.conversation_opened.disconnect(_record)


def test_new_conversation_without_team_sla_costs_few_statements(
    monkeypatch, tenants, sandbox, create_whatsapp_credential, create_contact, create_conversation
):
    create_whatsapp_credential(tenants.a)
    conv = create_conversation(tenants.a, create_contact(tenants.a, phone="+5511977770001"))
    with _opened_spy() as opened, _statements(monkeypatch) as seen:
        inbound(conv, sp(2026, 3, 2, 10, 0))
    [cycle] = cycles_of(conv)
    assert cycle.resolved_at is None and cycle.team_id is None
    assert cycle.first_response_due_at is None and cycle.resolution_due_at is None
    assert [o["reopened"] for o in opened] == [False]
    # message, conversation, CSAT survey, cycle claim, team of the number, conversation
    # after routing, hours (row + time zone). It was 23 before #24 (h2).
    assert len(seen) <= 8, seen
    assert not [s for s in seen if "flow" in s]  # always open: no flow look-up
    assert not [s for s in seen if s.startswith("UPDATE")]  # no deadline to copy


def test_team_sla_deadlines_and_reopened_flag_kept(
    monkeypatch, tenants, sandbox, create_whatsapp_credential, create_contact, create_conversation
):
    create_whatsapp_credential(tenants.a)
    team = make_team(tenants.a, sla_first_response_minutes=30, sla_resolution_minutes=240)
    set_hours(tenants.a)
    conv = create_conversation(
        tenants.a, create_contact(tenants.a, phone="+5511977770002"), team_id=team.id
    )
    with _opened_spy() as opened, _statements(monkeypatch) as seen:
        inbound(conv, sp(2026, 3, 2, 11, 45))
    [cycle] = cycles_of(conv)
    assert cycle.team_id == team.id
    assert cycle.first_response_due_at == sp(2026, 3, 2, 13, 15)
    assert cycle.resolution_due_at == sp(2026, 3, 2, 16, 45)
    stored = db.session.get(Conversation, conv.id)
    assert stored.first_response_due_at == cycle.first_response_due_at
    # One look-up for the deadlines and the off-hours check: the team's row, then the
    # client's default row (it was two look-ups, four statements).
    assert len([s for s in seen if s.startswith("SELECT business_hours")]) == 2
    assert len(seen) <= 12, seen
    actions.set_status(tenants.a.id, conv.id, "RESOLVED")
    with _opened_spy() as again:
        inbound(conv, sp(2026, 3, 3, 9, 0))
    assert [o["reopened"] for o in opened + again] == [False, True]
    assert [c.resolved_at is None for c in cycles_of(conv)] == [False, True]
    # A second message of the open cycle opens nothing.
    with _opened_spy() as none:
        inbound(conv, sp(2026, 3, 3, 9, 5))
    assert none == [] and len(cycles_of(conv)) == 2


def test_offhours_reads_no_flow_while_open(monkeypatch, tenants, create_conversation,
                                           create_contact, create_whatsapp_credential):  # fmt: skip
    import clickpro.services.flows.triggers as triggers

    create_whatsapp_credential(tenants.a)
    set_hours(tenants.a, off_hours_enabled=True)
    conv = create_conversation(tenants.a, create_contact(tenants.a, phone="+5511977770003"))
    asked: list[int] = []
    monkeypatch.setattr(triggers, "flow_takes", lambda c, m=None: asked.append(c.id) or False)
    assert offhours.maybe_reply(conv, sp(2026, 3, 2, 10, 0)) is False  # Monday 10:00, open
    assert asked == []
    offhours.maybe_reply(conv, sp(2026, 3, 2, 22, 0))  # closed: the reply is claimed
    assert asked == [conv.id]  # and a flow is still asked first
    stored = db.session.get(Conversation, conv.id)
    assert stored.off_hours_reply_period is not None


def test_schedules_cached_reads_each_schedule_once(tenants):
    set_hours(tenants.a)
    a, b = tenants.a.id, tenants.b.id
    seen: list[str] = []

    def _count(conn, cursor, statement, *args, **kwargs):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", _count)
    try:
        with hours.schedules_cached():
            first = hours.schedule_for(a, None)
            again = hours.schedule_for(a, None)
            other = hours.schedule_for(b, None)
        reads_inside = len(seen)
        after = hours.schedule_for(a, None)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", _count)
    assert again is first and not first.always_open and other.always_open
    assert reads_inside == 2 + 2  # each client: its row, then its time zone; once
    assert len(seen) > reads_inside and after == first  # outside the block: read again
