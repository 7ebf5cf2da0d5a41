"""The flows pages (h2): roles, tenancy, list, editor, validate, draft, publish,
import, simulator endpoints, CSRF."""

from __future__ import annotations

import io
import json

import pytest

from clickpro.extensions import db
from clickpro.models.flows import Flow
from clickpro.services.flows import library, versions


@pytest.fixture
def shop(tenants, login_as):
    http = login_as(tenants.a.admin, tenants.a)
    flow = library.create_from_template(tenants.a.id, "menu_atendimento", user_id=None)
    theirs = library.create_from_template(tenants.b.id, "menu_atendimento", user_id=None)
    return http, flow, theirs, tenants


def test_list_editor_and_agent_forbidden(shop, login_as):
    http, flow, _theirs, tenants = shop
    page = http.get("/flows/").get_data(as_text=True)
    assert "Menu de atendimento" in page and "Rascunho" in page
    editor = http.get(f"/flows/{flow.id}").get_data(as_text=True)
    assert 'id="drawflow"' in editor and "flow-graph" in editor
    agent = login_as(tenants.a_user, tenants.a)
    assert agent.get("/flows/").status_code == 403
    assert agent.post(f"/flows/{flow.id}/validate", json={}).status_code == 403


def test_another_clients_flow_is_404(shop):
    http, _flow, theirs, _t = shop
    assert http.get(f"/flows/{theirs.id}").status_code == 404
    assert http.post(f"/flows/{theirs.id}/validate", json=theirs.draft).status_code == 404
    assert http.post(f"/flows/{theirs.id}/draft", json=theirs.draft).status_code == 404
    assert http.post(f"/flows/{theirs.id}/simulator", json={}).status_code == 404
    assert http.get(f"/flows/{theirs.id}/export").status_code == 404


def test_validate_reports_dangling_exit_without_saving(shop):
    http, flow, _theirs, _t = shop
    graph = json.loads(json.dumps(flow.draft))
    start = graph["start"]
    graph["start"] = "nao_existe"
    data = http.post(f"/flows/{flow.id}/validate", json=graph).get_json()
    assert any(p["level"] == "error" for p in data["problems"])
    db.session.expire_all()
    assert db.session.get(Flow, flow.id).draft["start"] == start


def test_save_draft_then_publish_refused_with_problems(shop):
    http, flow, _theirs, _t = shop
    graph = json.loads(json.dumps(flow.draft))
    graph["start"] = "sumiu"
    saved = http.post(f"/flows/{flow.id}/draft", json=graph)
    assert saved.status_code == 200 and saved.get_json()["problems"]
    refused = http.post(f"/flows/{flow.id}/publish", json={"note": "x"})
    assert refused.status_code == 422 and refused.get_json()["problems"]


def test_publish_and_restore(shop):
    http, flow, _theirs, _t = shop
    ok = http.post(f"/flows/{flow.id}/publish", json={"note": "primeira"})
    assert ok.status_code == 200 and ok.get_json()["version"] == 1
    assert "Publicado v1" in http.get("/flows/").get_data(as_text=True)
    version_id = ok.get_json()["version_id"]
    assert http.post(f"/flows/{flow.id}/versions/{version_id}/restore").status_code == 302


def test_draft_not_json_and_too_big(shop):
    http, flow, _theirs, _t = shop
    bad = http.post(f"/flows/{flow.id}/draft", data="{x", content_type="application/json")
    assert bad.status_code == 422
    big = http.post(f"/flows/{flow.id}/draft", data="x" * (300 * 1024),
                    content_type="application/json")  # fmt: skip
    assert big.status_code == 413


def test_import_bad_json_keeps_nothing(shop):
    http, _flow, _theirs, tenants = shop
    before = len(versions.list_flows(tenants.a.id))
    r = http.post("/flows/import", data={"file": (io.BytesIO(b"{nope"), "f.json")},
                  content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    assert "não é um JSON válido" in r.get_data(as_text=True)
    r = http.post("/flows/import", data={"file": (io.BytesIO(b'{"name": "X"}'), "f.json")},
                  content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    assert "Fluxo não importado" in r.get_data(as_text=True)
    assert len(versions.list_flows(tenants.a.id)) == before


def test_export_then_import(shop):
    http, flow, _theirs, tenants = shop
    doc = http.get(f"/flows/{flow.id}/export").get_data()
    r = http.post("/flows/import", data={"file": (io.BytesIO(doc), "f.json")},
                  content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 302
    assert len(versions.list_flows(tenants.a.id)) == 2


def test_new_from_template_and_blank(shop):
    http, _flow, _theirs, tenants = shop
    assert http.post("/flows/new", data={"template": "pesquisa_satisfacao"}).status_code == 302
    assert http.post("/flows/new", data={}).status_code == 302
    assert http.post("/flows/new", data={"template": "nao_existe"}).status_code == 404
    assert len(versions.list_flows(tenants.a.id)) == 3


def test_simulator_endpoints(shop):
    http, flow, _theirs, _t = shop
    started = http.post(f"/flows/{flow.id}/simulator", json={})
    assert started.status_code == 201, started.get_json()
    data = started.get_json()
    assert data["items"] and data["status"]
    run_id = data["run_id"]
    assert http.get(f"/flows/{flow.id}/simulator/{run_id}").status_code == 200
    assert http.post(f"/flows/{flow.id}/simulator/{run_id}/input", json={}).status_code == 422
    answered = http.post(f"/flows/{flow.id}/simulator/{run_id}/input", json={"text": "1"})
    assert answered.status_code == 200


def test_simulator_run_of_another_flow_is_404(shop):
    http, flow, _theirs, _t = shop
    assert http.get(f"/flows/{flow.id}/simulator/999999").status_code == 404
    assert (
        http.post(f"/flows/{flow.id}/simulator/999999/input", json={"text": "oi"}).status_code
        == 404
    )


def test_csrf_required(shop, app):
    http, flow, _theirs, _t = shop
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        r = http.post(f"/flows/{flow.id}/draft", json=flow.draft)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert r.status_code in (400, 403)
