"""Inbox list views (#19): Minhas / Não atribuídas / Da minha equipe / Todas, their counts
(one grouped query), per role, combined with the other filters, the deadline sort and
priority first, and tenancy."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest

from clickpro.extensions import db
from clickpro.models.base import utcnow
from clickpro.models.teams import Team, TeamMember
from clickpro.services.accounts.agent_permissions import AgentPermissions, set_agent_permissions

API = "/inbox/api/conversations"


@pytest.fixture
def setup(tenants, conversation, create_member):
    a = tenants.a
    agent = tenants.a_user
    other = create_member(a, name="Outra")
    suporte = Team(client_id=a.id, name="Suporte")
    financeiro = Team(client_id=a.id, name="Financeiro")
    db.session.add_all([suporte, financeiro])
    db.session.flush()
    db.session.add(TeamMember(team_id=suporte.id, user_id=agent.id))
    db.session.add(TeamMember(team_id=financeiro.id, user_id=other.id))
    db.session.commit()
    convs = {}
    convs["mine"], _ = conversation(a, minutes_ago=1, assigned_user_id=agent.id, name="Mine")
    convs["sup_free"], _ = conversation(a, minutes_ago=2, name="SupFree")
    convs["nothing"], _ = conversation(a, minutes_ago=3, name="Nothing")
    convs["fin_free"], _ = conversation(a, minutes_ago=4, name="FinFree")
    convs["fin_other"], _ = conversation(a, minutes_ago=5, assigned_user_id=other.id)
    convs["sup_other"], _ = conversation(a, minutes_ago=6, assigned_user_id=other.id)
    convs["resolved_mine"], _ = conversation(
        a, minutes_ago=7, assigned_user_id=agent.id, status="RESOLVED"
    )
    convs["sup_free"].team_id = suporte.id
    convs["fin_free"].team_id = financeiro.id
    convs["fin_other"].team_id = financeiro.id
    convs["sup_other"].team_id = suporte.id
    convs["mine"].team_id = suporte.id
    db.session.commit()
    # Client B: same shapes, must never show up.
    b_team = Team(client_id=tenants.b.id, name="Suporte")
    db.session.add(b_team)
    db.session.commit()
    b_conv, _ = conversation(tenants.b, minutes_ago=1)
    b_conv.team_id = b_team.id
    db.session.commit()

    class S:
        pass

    s = S()
    s.a, s.agent, s.other, s.suporte, s.financeiro, s.convs = (
        a,
        agent,
        other,
        suporte,
        financeiro,
        convs,
    )
    s.tenants = tenants
    return s


def ids(resp):
    assert resp.status_code == 200, resp.get_json()
    return [item["id"] for item in resp.get_json()["items"]]


def test_agent_views_and_counts(setup, login_as):
    c = setup.convs
    http = login_as(setup.agent, setup.a)
    mine = http.get(API + "?view=mine&status=OPEN")
    assert ids(mine) == [c["mine"].id]
    unassigned = http.get(API + "?view=unassigned&status=OPEN")
    # no agent, in my team (Suporte) or in no team; Financeiro's queue is not mine
    assert ids(unassigned) == [c["sup_free"].id, c["nothing"].id]
    team = http.get(API + "?view=team&status=OPEN")
    assert ids(team) == [c["mine"].id, c["sup_free"].id, c["sup_other"].id]
    counts = team.get_json()["counts"]
    assert counts == {"mine": 1, "unassigned": 2, "team": 3, "all": 6}
    # status is combinable: resolved ones count in their own filter
    resolved = http.get(API + "?view=mine&status=RESOLVED").get_json()
    assert [i["id"] for i in resolved["items"]] == [c["resolved_mine"].id]
    assert resolved["counts"]["mine"] == 1
    # an agent without the permission cannot use "Todas"
    assert http.get(API + "?view=all").status_code == 403
    # team badge data on the row
    row = next(i for i in team.get_json()["items"] if i["id"] == c["sup_free"].id)
    assert row["team_name"] == "Suporte" and row["team_id"] == setup.suporte.id


def test_all_view_admin_and_permitted_agent(setup, login_as):
    http = login_as(setup.a.admin, setup.a)
    data = http.get(API + "?view=all&status=OPEN").get_json()
    assert len(data["items"]) == 6  # client B's never
    assert data["counts"]["all"] == 6
    # the admin is in no team: only the no-team unassigned ones
    assert data["counts"]["unassigned"] == 1 and data["counts"]["team"] == 0
    set_agent_permissions(setup.a, AgentPermissions(view_all_conversations=True))
    http = login_as(setup.agent, setup.a)
    assert len(ids(http.get(API + "?view=all&status=OPEN"))) == 6


def test_views_combine_with_filters_and_only(setup, login_as):
    c = setup.convs
    http = login_as(setup.agent, setup.a)
    c["sup_free"].unread_count = 0
    db.session.commit()
    unread = http.get(API + "?view=unassigned&filter=unread&status=OPEN").get_json()
    assert [i["id"] for i in unread["items"]] == [c["nothing"].id]
    assert unread["counts"]["unassigned"] == 1
    # live re-check: does this one conversation belong to the view?
    assert ids(http.get(API + f"?view=mine&only={c['mine'].id}")) == [c["mine"].id]
    assert ids(http.get(API + f"?view=mine&only={c['fin_free'].id}")) == []
    assert http.get(API + "?view=nope").status_code == 422


def test_other_client_conversation_never_matches(setup, login_as, conversation):
    b_conv, _ = conversation(setup.tenants.b, minutes_ago=2)
    http = login_as(setup.agent, setup.a)
    assert ids(http.get(API + f"?view=unassigned&only={b_conv.id}")) == []
    http_b = login_as(setup.tenants.b_user, setup.tenants.b)
    data = http_b.get(API + "?view=team").get_json()
    assert data["items"] == [] and data["counts"]["team"] == 0  # B's agent is in no team


def test_deadline_sort_overdue_first_and_priority(setup, login_as):
    c = setup.convs
    now = utcnow()
    c["nothing"].first_response_due_at = now - timedelta(minutes=60)  # overdue
    c["sup_free"].first_response_due_at = now + timedelta(minutes=25)
    c["mine"].resolution_due_at = now + timedelta(hours=3)
    c["mine"].first_response_at = now - timedelta(minutes=1)
    db.session.commit()
    http = login_as(setup.a.admin, setup.a)
    order = ids(http.get(API + "?view=all&status=OPEN&sort=deadline"))
    assert order[:3] == [c["nothing"].id, c["sup_free"].id, c["mine"].id]
    # priority 1 goes first in both sorts
    c["fin_other"].priority = 1
    db.session.commit()
    assert ids(http.get(API + "?view=all&status=OPEN&sort=deadline"))[0] == c["fin_other"].id
    assert ids(http.get(API + "?view=all&status=OPEN"))[0] == c["fin_other"].id


@pytest.mark.parametrize("sort", ["recent", "deadline"])
def test_keyset_pages_cover_everything_once(setup, login_as, sort):
    c = setup.convs
    now = utcnow()
    c["nothing"].first_response_due_at = now - timedelta(minutes=5)
    c["fin_free"].first_response_due_at = now - timedelta(minutes=5)
    c["sup_free"].priority = 1
    db.session.commit()
    http = login_as(setup.a.admin, setup.a)
    seen, cursor = [], None
    for _ in range(10):
        url = API + f"?view=all&status=ALL&sort={sort}&limit=2"
        if cursor:
            url += "&cursor=" + quote(cursor)
        data = http.get(url).get_json()
        assert "items" in data, (url, data)
        seen += [i["id"] for i in data["items"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    full = ids(http.get(API + f"?view=all&status=ALL&sort={sort}&limit=50"))
    assert seen == full and len(full) == 7
    assert full[0] == c["sup_free"].id
