"""'Iniciar fluxo' from the inbox: which flows an agent sees, start, busy, exit, tenancy."""

from __future__ import annotations

import pytest

from clickpro.extensions import db
from clickpro.models.flows import FlowRun
from clickpro.services.flows import library, versions


@pytest.fixture
def setup(tenants, create_contact, create_conversation, login_as):
    class S:
        pass

    s = S()
    s.tenant = tenants.a
    s.agent = tenants.a_user
    s.contact = create_contact(s.tenant)
    s.conversation = create_conversation(s.tenant, s.contact, last_inbound_at=db.func.now())
    s.menu = library.create_from_template(s.tenant.id, "menu_atendimento", user_id=None)
    versions.publish(s.tenant.id, s.menu.id, user_id=None)
    s.survey = library.create_from_template(s.tenant.id, "pesquisa_satisfacao", user_id=None)
    versions.publish(s.tenant.id, s.survey.id, user_id=None)
    versions.set_enabled(s.tenant.id, s.survey.id, False)  # manual starts still allowed
    s.unpublished = library.create_from_template(s.tenant.id, "pre_atendimento_cpf", user_id=None)
    no_manual = versions.create_flow(s.tenant.id, "Só palavra-chave", user_id=None)
    graph = dict(
        no_manual.draft, triggers=[{"kind": "keyword", "keywords": ["x"], "match": "exact"}]
    )
    versions.save_draft(s.tenant.id, no_manual.id, graph)
    versions.publish(s.tenant.id, no_manual.id, user_id=None)
    archived = library.create_from_template(s.tenant.id, "menu_atendimento", user_id=None)
    versions.publish(s.tenant.id, archived.id, user_id=None)
    versions.archive(s.tenant.id, archived.id)
    s.http = login_as(s.agent, s.tenant)
    s.url = f"/inbox/api/conversations/{s.conversation.id}/flows"
    s.other = tenants.b
    return s


def test_lists_published_flows_with_a_manual_trigger(setup):
    data = setup.http.get(setup.url).get_json()
    assert [f["name"] for f in data["flows"]] == ["Menu de atendimento", "Pesquisa de satisfação"]
    assert data["active"] is None


def test_another_clients_conversation_is_404(setup, create_contact, create_conversation):
    theirs = create_conversation(setup.other, create_contact(setup.other))
    assert setup.http.get(f"/inbox/api/conversations/{theirs.id}/flows").status_code == 404
    response = setup.http.post(
        f"/inbox/api/conversations/{theirs.id}/flows", json={"flow_id": setup.menu.id}
    )
    assert response.status_code == 404


def test_start_busy_and_exit(setup):
    started = setup.http.post(setup.url, json={"flow_id": setup.survey.id})
    assert started.status_code == 201, started.get_json()
    active = started.get_json()["active"]
    assert active["flow_name"] == "Pesquisa de satisfação" and active["status"] == "waiting_input"
    run = db.session.get(FlowRun, active["id"])
    assert run.trigger == "manual" and run.started_by_id == setup.agent.id
    busy = setup.http.post(setup.url, json={"flow_id": setup.menu.id})
    assert busy.status_code == 409
    ended = setup.http.post(setup.url + "/exit", json={})
    assert ended.status_code == 200 and ended.get_json()["active"] is None
    db.session.expire_all()
    assert db.session.get(FlowRun, run.id).status == "exited"


@pytest.mark.parametrize("which", ["unpublished", "other_client"])
def test_flows_not_offered_cannot_be_started(setup, which):
    flow = setup.unpublished
    if which == "other_client":
        flow = library.create_from_template(setup.other.id, "menu_atendimento", user_id=None)
        versions.publish(setup.other.id, flow.id, user_id=None)
    response = setup.http.post(setup.url, json={"flow_id": flow.id})
    assert response.status_code == 404
    assert db.session.query(FlowRun).count() == 0
