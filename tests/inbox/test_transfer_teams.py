"""Transfer endpoint (#18/#19): team and/or agent with a note, history with names,
another client's team (404) or agent (422), another client's conversation (404)."""

from __future__ import annotations

from clickpro.extensions import db
from clickpro.models.teams import Team, TeamMember


def _teams(tenants, create_member):
    a = tenants.a
    fin_agent = create_member(a, name="Fábio")
    sup = Team(client_id=a.id, name="Suporte")
    fin = Team(client_id=a.id, name="Financeiro")
    b_team = Team(client_id=tenants.b.id, name="Financeiro")
    db.session.add_all([sup, fin, b_team])
    db.session.flush()
    db.session.add_all(
        [
            TeamMember(team_id=sup.id, user_id=tenants.a_user.id),
            TeamMember(team_id=fin.id, user_id=fin_agent.id),
        ]
    )
    db.session.commit()
    return sup, fin, b_team, fin_agent


def test_transfer_with_note_and_history(tenants, conversation, create_member, login_as):
    sup, fin, _, fin_agent = _teams(tenants, create_member)
    conv, _ = conversation(tenants.a, assigned_user_id=tenants.a_user.id)
    conv.team_id = sup.id
    db.session.commit()
    http = login_as(tenants.a_user, tenants.a)
    teams = http.get("/inbox/api/teams").get_json()
    assert [t["name"] for t in teams["teams"]] == ["Financeiro", "Suporte"]
    resp = http.post(
        f"/inbox/api/conversations/{conv.id}/transfer",
        json={"team_id": fin.id, "user_id": None, "note": "Segunda via do boleto"},
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["conversation"]["team_id"] == fin.id
    assert body["conversation"]["assigned_user_id"] is None
    event = body["events"][-1]
    assert event["kind"] == "transferred" and event["note"] == "Segunda via do boleto"
    assert event["to_team_name"] == "Financeiro" and event["from_team_name"] == "Suporte"
    assert event["actor_name"] == tenants.a_user.name
    history = http.get(f"/inbox/api/conversations/{conv.id}/events").get_json()["items"]
    assert history[-1]["id"] == event["id"]
    # to an agent of the team
    resp = http.post(f"/inbox/api/conversations/{conv.id}/transfer", json={"user_id": fin_agent.id})
    assert resp.status_code == 200
    assert resp.get_json()["conversation"]["assigned_user_id"] == fin_agent.id


def test_transfer_refuses_other_clients(tenants, conversation, create_member, login_as):
    _, _, b_team, _ = _teams(tenants, create_member)
    conv, _ = conversation(tenants.a)
    b_conv, _ = conversation(tenants.b)
    http = login_as(tenants.a_user, tenants.a)
    url = f"/inbox/api/conversations/{conv.id}/transfer"
    assert http.post(url, json={"team_id": b_team.id}).status_code == 404
    assert http.post(url, json={"user_id": tenants.b_user.id}).status_code == 422
    other = f"/inbox/api/conversations/{b_conv.id}"
    assert http.post(other + "/transfer", json={"team_id": None}).status_code == 404
    assert http.get(other + "/events").status_code == 404
    db.session.refresh(conv)
    assert conv.team_id is None and conv.assigned_user_id is None
