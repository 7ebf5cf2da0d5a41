"""/api/v1/flows: list, create (export / graph / template), get, publish, versions, runs."""

from __future__ import annotations

import json

import pytest
from api_helpers import assert_error

from clickpro.extensions import db
from clickpro.models import Label
from clickpro.models.flows import FlowRun, FlowRunStep
from clickpro.services.flows import library, versions


def _graph(text: str = "Olá!") -> dict:
    return {
        "schema": 1,
        "start": "oi",
        "triggers": [{"kind": "manual"}],
        "steps": {
            "oi": {"type": "send", "message": {"kind": "text", "text": text}, "next": "fim"},
            "fim": {"type": "end"},
        },
    }


@pytest.fixture
def other(create_client):
    return create_client("Outra Loja API")


def test_create_from_graph_get_publish_and_versions(api, tenant):
    created = api.post("/api/v1/flows", json={"name": "Boas-vindas", "graph": _graph()})
    assert created.status_code == 201, created.get_json()
    flow = created.get_json()
    assert flow["name"] == "Boas-vindas" and flow["published_version"] is None
    assert flow["draft"] == _graph() and flow["problems"] == []

    listed = api.get("/api/v1/flows").get_json()["data"]
    assert [f["id"] for f in listed] == [flow["id"]] and "draft" not in listed[0]

    published = api.post(f"/api/v1/flows/{flow['id']}/publish?note=primeira")
    assert published.status_code == 201
    assert published.get_json()["number"] == 1 and published.get_json()["note"] == "primeira"
    assert api.post(f"/api/v1/flows/{flow['id']}/publish").get_json()["number"] == 2

    got = api.get(f"/api/v1/flows/{flow['id']}").get_json()
    assert got["published_version"]["number"] == 2
    assert got["published_version"]["graph"] == _graph()
    assert [v["number"] for v in api.get(f"/api/v1/flows/{flow['id']}/versions").get_json()["data"]] == [2, 1]  # fmt: skip
    assert api.get("/api/v1/flows").get_json()["data"][0]["published_version"]["number"] == 2


def test_create_from_an_export_drops_foreign_ids(api, tenant, other):
    theirs = Label(client_id=other.id, name="Deles")
    db.session.add(theirs)
    db.session.commit()
    graph = _graph()
    graph["steps"]["oi"]["next"] = "marca"
    graph["steps"]["marca"] = {"type": "set", "add_labels": [theirs.id], "next": "fim"}
    doc = {"clickpro_flow": 1, "name": "Importado", "description": "de outra conta", "graph": graph}
    created = api.post("/api/v1/flows", json=doc)
    assert created.status_code == 201
    body = created.get_json()
    assert body["draft"]["steps"]["marca"]["add_labels"] == []
    assert [(p["step_id"], p["level"]) for p in body["problems"]] == [("marca", "warning")]
    # the same name again: a copy, not a conflict
    assert api.post("/api/v1/flows", json=doc).get_json()["name"] == "Importado (cópia)"


def test_create_from_a_template(api, tenant):
    created = api.post("/api/v1/flows", json={"template": "pesquisa_satisfacao"})
    assert created.status_code == 201
    body = created.get_json()
    assert (
        body["template_key"] == "pesquisa_satisfacao" and body["name"] == "Pesquisa de satisfação"
    )
    assert [p for p in body["problems"] if p["level"] == "error"] == []
    assert api.post(f"/api/v1/flows/{body['id']}/publish").status_code == 201


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "X"}, "graph"),
        ({"graph": _graph()}, "name"),
        ({"name": "X", "graph": _graph(), "template": "menu_atendimento"}, "graph"),
        ({"template": "nao_existe"}, "template"),
        ({"clickpro_flow": 2, "name": "X", "graph": _graph()}, "clickpro_flow"),
        ({"name": "X", "graph": _graph(), "extra": 1}, "extra"),
        ({"name": "X", "graph": {"steps": {"Mau-Id": {"type": "end"}}}}, None),
    ],
)
def test_bad_create_bodies_are_422(api, tenant, payload, field):
    error = assert_error(api.post("/api/v1/flows", json=payload), 422)
    if field:
        assert field in error["details"], error
    assert versions.list_flows(tenant.id) == []


def test_bad_json_and_too_big(api, tenant):
    bad = api.http.post("/api/v1/flows", data="{nope", headers=api.headers({"Content-Type": "application/json"}))  # fmt: skip
    assert_error(bad, 400, "invalid_json")
    big = _graph("x" * 4000)
    for i in range(80):
        big["steps"][f"s{i}"] = {"type": "end", "message": {"kind": "text", "text": "y" * 4000}}
    assert_error(api.post("/api/v1/flows", json={"name": "Grande", "graph": big}), 422, "flow_invalid")  # fmt: skip
    huge = json.dumps({"name": "Enorme", "graph": {"steps": {}, "x": "z" * (600 * 1024)}})
    too_big = api.http.post("/api/v1/flows", data=huge, headers=api.headers({"Content-Type": "application/json"}))  # fmt: skip
    assert_error(too_big, 413)
    assert versions.list_flows(tenant.id) == []


def test_publish_with_errors_is_422_with_problems(api, tenant):
    broken = _graph()
    broken["steps"]["oi"]["next"] = "nao_existe"
    flow = api.post("/api/v1/flows", json={"name": "Quebrado", "graph": broken}).get_json()
    assert any(p["level"] == "error" for p in flow["problems"])
    error = assert_error(api.post(f"/api/v1/flows/{flow['id']}/publish"), 422, "flow_invalid")
    assert any(p["step_id"] == "oi" for p in error["details"]["problems"])
    assert api.get(f"/api/v1/flows/{flow['id']}/versions").get_json()["data"] == []


def test_another_clients_flow_is_404_everywhere(api, tenant, other, create_contact):
    theirs = library.create_from_template(other.id, "menu_atendimento", user_id=None)
    versions.publish(other.id, theirs.id, user_id=None)
    contact = create_contact(tenant)
    run = FlowRun(client_id=other.id, flow_id=theirs.id, trigger="manual", mode="simulator",
                  status="completed")  # fmt: skip
    db.session.add(run)
    db.session.commit()
    for response in (
        api.get(f"/api/v1/flows/{theirs.id}"),
        api.post(f"/api/v1/flows/{theirs.id}/publish"),
        api.get(f"/api/v1/flows/{theirs.id}/versions"),
        api.post(f"/api/v1/flows/{theirs.id}/runs", json={"contact_id": contact.id}),
        api.get(f"/api/v1/flows/{theirs.id}/runs/{run.id}"),
        api.get("/api/v1/flows/2147483648"),
    ):
        assert_error(response, 404, "not_found")
    assert api.get("/api/v1/flows").get_json()["data"] == []
    assert versions.list_versions(other.id, theirs.id)[0].number == 1  # untouched


def test_unauthenticated_is_401(client):
    assert_error(client.get("/api/v1/flows"), 401, "unauthorized")


def test_get_run_with_its_journal(api, tenant):
    flow = library.create_from_template(tenant.id, "menu_atendimento", user_id=None)
    run = FlowRun(client_id=tenant.id, flow_id=flow.id, trigger="manual", mode="simulator",
                  status="handed_off", current_step="para_suporte", variables={"opcao": "Suporte"})  # fmt: skip
    db.session.add(run)
    db.session.flush()
    for seq, step in enumerate(("menu", "para_suporte"), start=1):
        db.session.add(FlowRunStep(client_id=tenant.id, run_id=run.id, flow_id=flow.id, seq=seq,
                                   step_id=step, step_type="ask", outcome="answered"))  # fmt: skip
    db.session.commit()
    body = api.get(f"/api/v1/flows/{flow.id}/runs/{run.id}").get_json()
    assert body["status"] == "handed_off" and body["variables"] == {"opcao": "Suporte"}
    assert [s["step_id"] for s in body["steps"]] == ["menu", "para_suporte"]
    other_flow = library.create_from_template(tenant.id, "pesquisa_satisfacao", user_id=None)
    assert_error(api.get(f"/api/v1/flows/{other_flow.id}/runs/{run.id}"), 404)


def test_runs_body_is_validated(api, tenant):
    flow = library.create_from_template(tenant.id, "menu_atendimento", user_id=None)
    url = f"/api/v1/flows/{flow.id}/runs"
    assert_error(api.post(url, json={}), 422)
    assert_error(api.post(url, json={"contact_id": 1, "phone": "+5511999990000"}), 422)
    assert_error(api.post(url, json={"contact_id": 1, "variables": {"x": "y" * 1001}}), 422)
    assert_error(api.post(url, json={"phone": "+5511999990000"}), 404)  # unknown contact


def test_openapi_documents_the_flow_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/flows", "/api/v1/flows/{flow_id}", "/api/v1/flows/{flow_id}/publish",
                 "/api/v1/flows/{flow_id}/versions", "/api/v1/flows/{flow_id}/runs",
                 "/api/v1/flows/{flow_id}/runs/{run_id}"):  # fmt: skip
        assert path in paths, path
    assert "409" in paths["/api/v1/flows/{flow_id}/runs"]["post"]["responses"]


def test_a_bad_number_creates_nothing(api, tenant, other, create_whatsapp_credential):
    theirs = create_whatsapp_credential(other)
    for payload in (
        {"name": "X", "graph": _graph(), "number_id": theirs.id},
        {"template": "menu_atendimento", "number_id": theirs.id},
    ):
        error = assert_error(api.post("/api/v1/flows", json=payload), 422)
        assert "number_id" in error["details"]
    assert versions.list_flows(tenant.id) == []
    named = api.post("/api/v1/flows", json={"template": "menu_atendimento", "name": "Menu da loja"})
    assert named.status_code == 201 and named.get_json()["name"] == "Menu da loja"
