"""Business hours API (/api/v1/business-hours, /api/v1/teams/{id}/business-hours) and
the panel editor (/settings/hours, /teams/<id>/hours): validation, inheritance,
CLIENT_ADMIN only, tenancy."""

from __future__ import annotations

from h7_support import make_team

from clickpro.models.accounts import Role
from clickpro.services.api import tokens as api_tokens

WEEK = {"0": [["08:00", "12:00"], ["13:00", "18:00"]]}


def _auth(tenant) -> dict:
    _row, raw = api_tokens.create_token(tenant.id, "h7")
    return {"Authorization": f"Bearer {raw}"}


def test_api_client_hours_roundtrip_and_validation(app, tenants):
    http, headers = app.test_client(), _auth(tenants.a)
    got = http.get("/api/v1/business-hours", headers=headers).get_json()
    assert (got["configured"], got["open_now"]) == (False, True)
    body = {"weekly": WEEK, "holidays": ["2026-12-25"], "timezone": "America/Sao_Paulo",
            "off_hours_enabled": True, "off_hours_message": "Voltamos {abertura}."}  # fmt: skip
    put = http.put("/api/v1/business-hours", json=body, headers=headers)
    assert put.status_code == 200, put.get_data(as_text=True)
    data = put.get_json()
    assert data["weekly"] == WEEK and data["holidays"] == ["2026-12-25"]
    assert data["configured"] and data["off_hours_enabled"]
    assert data["next_opening_phrase"]
    bad = http.put("/api/v1/business-hours", json={"weekly": {"0": [["12:00", "08:00"]]}},
                   headers=headers)  # fmt: skip
    assert bad.status_code == 422
    assert http.put("/api/v1/business-hours", json={"timezone": "Mars/Base"},
                    headers=headers).status_code == 422  # fmt: skip
    assert http.put("/api/v1/business-hours", json={"nope": 1}, headers=headers).status_code == 422
    # Client B sees its own (nothing).
    other = http.get("/api/v1/business-hours", headers=_auth(tenants.b)).get_json()
    assert other["configured"] is False


def test_api_team_hours_inherit_and_tenancy(app, tenants):
    http, headers = app.test_client(), _auth(tenants.a)
    team = make_team(tenants.a)
    http.put("/api/v1/business-hours", json={"weekly": WEEK}, headers=headers)
    got = http.get(f"/api/v1/teams/{team.id}/business-hours", headers=headers).get_json()
    assert (got["configured"], got["inherited"], got["weekly"]) == (False, True, {})
    put = http.put(f"/api/v1/teams/{team.id}/business-hours",
                   json={"weekly": {"5": [["09:00", "13:00"]]}}, headers=headers)  # fmt: skip
    assert put.status_code == 200 and put.get_json()["weekly"] == {"5": [["09:00", "13:00"]]}
    b_headers = _auth(tenants.b)
    assert http.get(f"/api/v1/teams/{team.id}/business-hours",
                    headers=b_headers).status_code == 404  # fmt: skip
    assert http.put(f"/api/v1/teams/{team.id}/business-hours", json={},
                    headers=b_headers).status_code == 404  # fmt: skip


def test_openapi_lists_the_hours_paths(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "/business-hours" in doc["paths"] or "/api/v1/business-hours" in doc["paths"]


def test_panel_editor_admin_only_and_tenancy(app, tenants, create_member, login_as):
    admin = create_member(tenants.a, Role.CLIENT_ADMIN)
    http = login_as(admin, tenants.a)
    page = http.get("/settings/hours")
    assert page.status_code == 200 and "Horário de atendimento" in page.get_data(as_text=True)
    form = {f"day_{d}": "" for d in range(7)}
    form.update(day_0="08:00-12:00, 13:00-18:00", day_5="9-13", holidays="2026-12-25\n",
                timezone="America/Sao_Paulo", off_hours_enabled="1",
                off_hours_message="Fechados. Voltamos {abertura}.")  # fmt: skip
    saved = http.post("/settings/hours", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    from clickpro.services.teams.hours import hours_state

    state = hours_state(tenants.a.id)
    assert state["weekly"] == {"0": [["08:00", "12:00"], ["13:00", "18:00"]],
                               "5": [["09:00", "13:00"]]}  # fmt: skip
    assert state["holidays"] == ["2026-12-25"] and state["off_hours_enabled"]
    shown = http.get("/settings/hours").get_data(as_text=True)
    assert "Fechados. Voltamos" in shown and "08:00-12:00, 13:00-18:00" in shown
    bad = http.post("/settings/hours", data={**form, "day_1": "18:00-08:00"})
    assert bad.status_code == 422
    team = make_team(tenants.a)
    assert http.get(f"/teams/{team.id}/hours").status_code == 200
    other_team = make_team(tenants.b)
    assert http.get(f"/teams/{other_team.id}/hours").status_code == 404
    # An agent cannot open it.
    agent = login_as(tenants.a_user, tenants.a)
    assert agent.get("/settings/hours").status_code in (302, 403, 404)
