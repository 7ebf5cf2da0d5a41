"""/api/v1/teams CRUD, members, conversation assign/history and the webhook event."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import WebhookDelivery
from clickpro.services.api import outbound_webhooks as hooks
from clickpro.services.api import tokens as api_tokens


@pytest.fixture
def bearer(app):
    def _for(tenant):
        _row, raw = api_tokens.create_token(tenant.id, "integração")
        http = app.test_client()
        headers = {"Authorization": f"Bearer {raw}"}

        class Api:
            def get(self, url):
                return http.get(url, headers=headers)

            def post(self, url, json=None):
                return http.post(url, json=json, headers=headers)

            def put(self, url, json=None):
                return http.put(url, json=json, headers=headers)

            def patch(self, url, json=None):
                return http.patch(url, json=json, headers=headers)

            def delete(self, url):
                return http.delete(url, headers=headers)

        return Api()

    return _for


def test_teams_crud_and_members(crew, bearer):
    api = bearer(crew.tenant)
    a1, a2, _a3 = crew.agents
    r = api.post(
        "/api/v1/teams",
        json={
            "name": "Financeiro",
            "number_id": crew.number.id,
            "assignment_rule": "round_robin",
            "max_open_per_agent": 5,
            "member_ids": [a1.id],
        },
    )
    assert r.status_code == 201, r.get_json()
    team = r.get_json()
    assert team["member_ids"] == [a1.id] and team["assignment_rule"] == "round_robin"
    tid = team["id"]

    assert api.get("/api/v1/teams").get_json()["data"][0]["id"] == tid
    r = api.patch(f"/api/v1/teams/{tid}", json={"assignment_rule": "least_busy", "number_id": None})
    assert r.status_code == 200 and r.get_json()["number_id"] is None
    assert r.get_json()["assignment_rule"] == "least_busy"

    r = api.put(f"/api/v1/teams/{tid}/members", json={"user_ids": [a1.id, a2.id]})
    assert r.status_code == 200
    assert {m["id"] for m in r.get_json()["data"]} == {a1.id, a2.id}
    assert len(api.get(f"/api/v1/teams/{tid}/members").get_json()["data"]) == 2

    # Another client's agent is refused, a duplicate name is a conflict.
    r = api.put(f"/api/v1/teams/{tid}/members", json={"user_ids": [crew.other_user.id]})
    assert r.status_code == 422 and r.get_json()["error"]["details"]["member_ids"]
    r = api.post("/api/v1/teams", json={"name": "financeiro"})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "conflict"

    assert api.delete(f"/api/v1/teams/{tid}").status_code == 204
    assert api.get("/api/v1/teams").get_json()["data"] == []
    archived = api.get("/api/v1/teams?include_archived=true").get_json()["data"]
    assert archived[0]["archived"] is True


def test_other_clients_team_is_404(crew, bearer):
    theirs = bearer(crew.other).post("/api/v1/teams", json={"name": "Deles"}).get_json()
    api = bearer(crew.tenant)
    assert api.get(f"/api/v1/teams/{theirs['id']}").status_code == 404
    assert api.patch(f"/api/v1/teams/{theirs['id']}", json={"name": "x"}).status_code == 404
    assert api.delete(f"/api/v1/teams/{theirs['id']}").status_code == 404
    assert api.get(f"/api/v1/teams/{theirs['id']}/members").status_code == 404


def test_assign_transfer_history_and_webhook(crew, bearer, new_conversation):
    api = bearer(crew.tenant)
    a1, a2, _a3 = crew.agents
    hooks.create_endpoint(crew.tenant.id, "https://erp.test/hook", ["conversation.assigned"])
    team = api.post("/api/v1/teams", json={"name": "Suporte", "member_ids": [a1.id]}).get_json()
    conv = new_conversation(crew.tenant, crew.number)

    r = api.post(f"/api/v1/conversations/{conv.id}/assign", json={"team_id": team["id"]})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["event"]["kind"] == "assigned" and body["event"]["actor"] == "api"
    assert body["conversation"]["id"] == conv.id

    # a2 is not in the team: refused clearly.
    r = api.post(f"/api/v1/conversations/{conv.id}/assign", json={"user_id": a2.id})
    assert r.status_code == 422 and "user_id" in r.get_json()["error"]["details"]

    r = api.post(
        f"/api/v1/conversations/{conv.id}/assign",
        json={"user_id": a1.id, "note": "Cliente pediu boleto"},
    )
    assert r.status_code == 200
    assert r.get_json()["event"]["kind"] == "transferred"
    # Nothing changes: no event.
    r = api.post(f"/api/v1/conversations/{conv.id}/assign", json={"user_id": a1.id})
    assert r.status_code == 200 and r.get_json()["event"] is None

    got = api.get(f"/api/v1/conversations/{conv.id}").get_json()
    assert got["id"] == conv.id and got["assigned_user_id"] == a1.id

    history = api.get(f"/api/v1/conversations/{conv.id}/history").get_json()["data"]
    assert [h["kind"] for h in history] == ["assigned", "transferred"]
    assert history[1]["to_user_id"] == a1.id and history[1]["note"] == "Cliente pediu boleto"

    rows = list(
        db.session.scalars(
            sa.select(WebhookDelivery).where(WebhookDelivery.event == "conversation.assigned")
        )
    )
    assert len(rows) == 2
    last = json.loads(sorted(rows, key=lambda r: r.id)[-1].body)
    assert last["type"] == "conversation.assigned"
    assert last["data"]["conversation"]["user_id"] == a1.id
    assert last["data"]["note"] == "Cliente pediu boleto"


def test_assign_tenancy(crew, bearer, new_conversation):
    api = bearer(crew.tenant)
    mine = new_conversation(crew.tenant, crew.number)
    theirs = new_conversation(crew.other, crew.other_number)
    their_team = bearer(crew.other).post("/api/v1/teams", json={"name": "Deles"}).get_json()
    r = api.post(f"/api/v1/conversations/{theirs.id}/assign", json={"user_id": None})
    assert r.status_code == 404
    assert api.get(f"/api/v1/conversations/{theirs.id}").status_code == 404
    assert api.get(f"/api/v1/conversations/{theirs.id}/history").status_code == 404
    r = api.post(f"/api/v1/conversations/{mine.id}/assign", json={"team_id": their_team["id"]})
    assert r.status_code == 422
    r = api.post(f"/api/v1/conversations/{mine.id}/assign", json={"user_id": crew.other_user.id})
    assert r.status_code == 422


def test_openapi_lists_the_team_routes(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/teams/{team_id}/members" in doc["paths"]
    assert "post" in doc["paths"]["/api/v1/conversations/{conversation_id}/assign"]
