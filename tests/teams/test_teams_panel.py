"""The teams page (client admin), the agent's "Ausente" switch and the heartbeat."""

from __future__ import annotations

from clickpro.extensions import db
from clickpro.models import ClientMember
from clickpro.models.teams import Team
from clickpro.services.teams import teams


def _member(tenant, user):
    return db.session.scalar(
        db.select(ClientMember).where(
            ClientMember.client_id == tenant.id, ClientMember.user_id == user.id
        )
    )


def test_admin_creates_edits_and_archives_a_team(crew, login_as):
    http = login_as(crew.tenant.admin, crew.tenant)
    page = http.get("/teams/")
    assert page.status_code == 200 and "Nenhuma equipe" in page.get_data(as_text=True)
    assert http.get("/teams/new").status_code == 200
    a1, a2, _a3 = crew.agents
    r = http.post(
        "/teams/new",
        data={
            "name": "Financeiro",
            "number_id": str(crew.number.id),
            "assignment_rule": "round_robin",
            "max_open_per_agent": "4",
            "sla_first_response_minutes": "15",
            "csat_enabled": "1",
            "member_ids": [str(a1.id), str(a2.id)],
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    team = db.session.scalar(db.select(Team).where(Team.client_id == crew.tenant.id))
    assert team.assignment_rule == "round_robin" and team.max_open_per_agent == 4
    assert team.csat_enabled and team.sla_first_response_minutes == 15
    assert teams.member_ids(team.id) == sorted([a1.id, a2.id])

    edit = http.get(f"/teams/{team.id}/edit").get_data(as_text=True)
    assert "Financeiro" in edit and f"/teams/{team.id}/hours" in edit
    r = http.post(
        f"/teams/{team.id}/edit",
        data={"name": "Financeiro", "assignment_rule": "least_busy", "member_ids": [str(a2.id)]},
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert team.assignment_rule == "least_busy" and team.number_id is None
    listing = http.get("/teams/").get_data(as_text=True)
    assert "Financeiro" in listing and "Menos ocupado" in listing

    # A bad value is shown on its field, the typed values kept.
    r = http.post("/teams/new", data={"name": "Financeiro", "assignment_rule": "manual"})
    assert r.status_code == 422 and "Já existe uma equipe" in r.get_data(as_text=True)

    assert http.post(f"/teams/{team.id}/archive").status_code == 302
    db.session.expire_all()
    assert team.archived_at is not None


def test_agent_cannot_manage_teams_and_other_clients_team_is_404(crew, login_as):
    theirs = teams.create_team(crew.other.id, {"name": "Deles"})
    agent = login_as(crew.agents[0], crew.tenant)
    assert agent.get("/teams/").status_code in (403, 404)
    admin = login_as(crew.tenant.admin, crew.tenant)
    assert admin.get(f"/teams/{theirs.id}/edit").status_code == 404
    assert admin.post(f"/teams/{theirs.id}/archive").status_code == 404


def test_away_toggle_and_heartbeat(crew, login_as):
    agent = crew.agents[0]
    http = login_as(agent, crew.tenant)
    page = http.get("/inbox/").get_data(as_text=True)
    assert 'data-testid="away-toggle"' in page and "js/presence.js" in page
    r = http.post(
        "/teams/presence/away", data={"away": "1"}, headers={"Accept": "application/json"}
    )
    assert r.get_json() == {"away": True}
    assert _member(crew.tenant, agent).away_since is not None
    assert 'data-away="1"' in http.get("/inbox/").get_data(as_text=True)
    r = http.post("/teams/presence/away", data={"away": "0"})
    assert r.status_code == 302
    db.session.expire_all()
    assert _member(crew.tenant, agent).away_since is None
    member = _member(crew.tenant, agent)
    member.last_seen_at = None
    db.session.commit()
    assert http.post("/teams/presence/heartbeat").get_json() == {"away": False}
    db.session.expire_all()
    assert _member(crew.tenant, agent).last_seen_at is not None
