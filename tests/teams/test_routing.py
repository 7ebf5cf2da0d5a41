"""Routing rules: round-robin, least-busy (away, offline, caps), manual, handoff."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from clickpro.events import conversation_assigned, conversation_opened, send_safely
from clickpro.extensions import db
from clickpro.models import Conversation
from clickpro.models.base import utcnow
from clickpro.models.teams import ConversationEvent, Team
from clickpro.services.teams import routing, teams


def _team(crew, rule, **extra):
    return teams.create_team(
        crew.tenant.id,
        {
            "name": f"Suporte {rule}",
            "number_id": crew.number.id,
            "assignment_rule": rule,
            "member_ids": [a.id for a in crew.agents],
            **extra,
        },
    )


def _open(crew, new_conversation, **state):
    conv = new_conversation(crew.tenant, crew.number, **state)
    send_safely(
        conversation_opened,
        client_id=crew.tenant.id,
        conversation_id=conv.id,
        number_id=crew.number.id,
        reopened=False,
    )
    db.session.expire_all()
    return db.session.get(Conversation, conv.id)


def test_round_robin_gives_one_each_and_keeps_rotating(crew, new_conversation):
    team = _team(crew, "round_robin")
    got = [_open(crew, new_conversation).assigned_user_id for _ in range(6)]
    ids = [a.id for a in crew.agents]
    assert got == ids + ids
    db.session.refresh(team)
    assert team.last_assigned_user_id == ids[-1]


def test_round_robin_skips_away_and_capped(crew, new_conversation, set_online):
    _team(crew, "round_robin", max_open_per_agent=1)
    a1, a2, a3 = crew.agents
    set_online(crew.tenant, a2, away=True)
    first = _open(crew, new_conversation)
    second = _open(crew, new_conversation)
    third = _open(crew, new_conversation)  # a1 and a3 at the cap, a2 away
    assert [first.assigned_user_id, second.assigned_user_id] == [a1.id, a3.id]
    assert third.assigned_user_id is None and third.team_id is not None


def test_least_busy_respects_away_offline_and_caps(crew, new_conversation, set_online):
    team = _team(crew, "least_busy", max_open_per_agent=2)
    a1, a2, a3 = crew.agents
    set_online(crew.tenant, a1)
    set_online(crew.tenant, a2)
    set_online(crew.tenant, a3, away=True)
    # a1 already holds one open conversation.
    new_conversation(crew.tenant, crew.number, assigned_user_id=a1.id, status="OPEN")
    assert _open(crew, new_conversation).assigned_user_id == a2.id  # 0 < 1
    assert _open(crew, new_conversation).assigned_user_id in (a1.id, a2.id)
    # a2 goes offline (seen 10 minutes ago): only a1, until the cap.
    member_seen = utcnow() - timedelta(minutes=10)
    from clickpro.models import ClientMember

    db.session.execute(
        db.update(ClientMember)
        .where(ClientMember.user_id == a2.id, ClientMember.client_id == crew.tenant.id)
        .values(last_seen_at=member_seen)
    )
    db.session.commit()
    results = [_open(crew, new_conversation).assigned_user_id for _ in range(3)]
    held = db.session.scalar(
        db.select(db.func.count())
        .select_from(Conversation)
        .where(Conversation.assigned_user_id == a1.id, Conversation.status == "OPEN")
    )
    assert held == 2  # the cap
    assert a2.id not in results and a3.id not in results
    assert results[-1] is None
    assert team.id


def test_manual_team_leaves_it_in_the_queue(crew, new_conversation):
    team = _team(crew, "manual")
    conv = _open(crew, new_conversation)
    assert conv.team_id == team.id and conv.assigned_user_id is None
    event = db.session.scalar(
        db.select(ConversationEvent).where(ConversationEvent.conversation_id == conv.id)
    )
    assert event.actor == "rule" and event.to_team_id == team.id


def test_number_without_team_is_left_alone(crew, new_conversation):
    conv = _open(crew, new_conversation)
    assert conv.team_id is None and conv.assigned_user_id is None


def test_reopened_keeps_agent_of_the_team(crew, new_conversation):
    _team(crew, "round_robin")
    a1, a2, _a3 = crew.agents
    conv = _open(crew, new_conversation)
    assert conv.assigned_user_id == a1.id
    send_safely(
        conversation_opened,
        client_id=crew.tenant.id,
        conversation_id=conv.id,
        number_id=crew.number.id,
        reopened=True,
    )
    db.session.expire_all()
    assert db.session.get(Conversation, conv.id).assigned_user_id == a1.id


def test_route_to_team_by_name_for_handoff(crew, new_conversation):
    fin = teams.create_team(
        crew.tenant.id,
        {"name": "Financeiro", "assignment_rule": "round_robin", "member_ids": [crew.agents[2].id]},
    )
    conv = new_conversation(crew.tenant, crew.number)
    heard = []

    def spy(sender, **kw):
        heard.append(kw)

    conversation_assigned.connect(spy)
    try:
        event = routing.route_to_team(crew.tenant.id, conv.id, "  financeiro ", "ai")
    finally:
        conversation_assigned.disconnect(spy)
    assert event.to_team_id == fin.id and event.to_user_id == crew.agents[2].id
    assert event.actor == "ai"
    assert heard and heard[0]["team_id"] == fin.id and heard[0]["actor"] == "ai"
    with pytest.raises(routing.TeamNotFound):
        routing.route_to_team(crew.tenant.id, conv.id, "Inexistente", "flow")


def test_another_clients_team_is_not_found(crew, new_conversation):
    theirs = teams.create_team(crew.other.id, {"name": "Deles"})
    conv = new_conversation(crew.tenant, crew.number)
    with pytest.raises(routing.TeamNotFound):
        routing.route_to_team(crew.tenant.id, conv.id, theirs.id, "flow")


def test_two_concurrent_picks_get_different_agents(app, crew, new_conversation):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    team = _team(crew, "round_robin")
    convs = [new_conversation(crew.tenant, crew.number) for _ in range(2)]
    ids = [c.id for c in convs]
    tenant_id, team_id = crew.tenant.id, team.id
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    original = routing._lock_team

    def slow_lock(tid):
        barrier.wait(timeout=10)  # both threads reach the lock together
        locked = original(tid)
        threading.Event().wait(0.2)  # hold it while the other one waits
        return locked

    def work(conv_id):
        try:
            with app.app_context():
                routing._route(tenant_id, conv_id, team_id, actor="rule")
                db.session.remove()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    routing._lock_team = slow_lock
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
    finally:
        routing._lock_team = original
    assert not errors
    db.session.expire_all()
    got = {db.session.get(Conversation, i).assigned_user_id for i in ids}
    assert got == {crew.agents[0].id, crew.agents[1].id}
    assert db.session.get(Team, team_id).last_assigned_user_id in got
