"""Flow reports against hand-computed numbers on seeded runs and journals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template

from clickpro.extensions import db
from clickpro.models.base import utcnow
from clickpro.models.flows import FlowRun, FlowRunStep
from clickpro.services.flows import library, reports, versions
from clickpro.services.flows.errors import FlowNotFound


@pytest.fixture
def tenant(create_client):
    return create_client("Loja Relatório")


@pytest.fixture
def menu(tenant):
    flow = library.create_from_template(tenant.id, "menu_atendimento", user_id=None)
    versions.publish(tenant.id, flow.id, user_id=None)
    return flow


def _run(tenant, flow, status, path, *, current=None, mode="live", started=None):
    run = FlowRun(
        client_id=tenant.id,
        flow_id=flow.id,
        version_id=flow.published_version_id,
        mode=mode,
        trigger="keyword",
        status=status,
        current_step=current or path[-1],
        started_at=started or utcnow(),
        seq=len(path),
    )
    db.session.add(run)
    db.session.flush()
    for seq, step_id in enumerate(path, start=1):
        db.session.add(FlowRunStep(client_id=tenant.id, run_id=run.id, flow_id=flow.id, seq=seq,
                                   step_id=step_id, step_type="ask"))  # fmt: skip
    db.session.commit()
    return run


def test_counts_by_status_abandon_step_and_passes(tenant, menu):
    # 6 live runs: 2 → Financeiro, 1 → Suporte (asked twice: one run, two journal rows),
    # 1 abandoned on the menu, 1 exited, 1 still waiting; plus 1 simulator run (ignored).
    _run(tenant, menu, "handed_off", ["menu", "para_financeiro"])
    _run(tenant, menu, "handed_off", ["menu", "para_financeiro"])
    _run(tenant, menu, "handed_off", ["menu", "menu", "para_suporte"])
    _run(tenant, menu, "abandoned", ["menu"])
    _run(tenant, menu, "exited", ["menu"])
    _run(tenant, menu, "waiting_input", ["menu"])
    _run(tenant, menu, "completed", ["menu", "para_atendente"], mode="simulator")

    report = reports.flow_report(tenant.id, menu.id)
    assert (report.started, report.handed_off, report.completed) == (6, 3, 0)
    assert (report.abandoned, report.exited, report.in_progress, report.finished) == (1, 1, 1, 3)
    assert [(s.step_id, s.count) for s in report.abandoned_at] == [("menu", 1)]
    passed = {s.step_id: s.count for s in report.steps}
    assert passed == {"menu": 6, "para_financeiro": 2, "para_suporte": 1, "para_atendente": 0}
    assert report.steps[0].step_id == "menu" and report.steps[0].name == "Menu principal"
    assert report.percent(2) == 33

    with_sim = reports.flow_report(tenant.id, menu.id, include_simulator=True)
    assert with_sim.started == 7 and with_sim.completed == 1


def test_since_and_steps_of_older_versions(tenant, menu):
    old = utcnow() - timedelta(days=10)
    _run(tenant, menu, "abandoned", ["menu"], started=old)
    _run(tenant, menu, "abandoned", ["passo_antigo"], started=old)
    _run(tenant, menu, "completed", ["menu", "para_suporte"])
    recent = reports.flow_report(tenant.id, menu.id, since=utcnow() - timedelta(days=1))
    assert recent.started == 1 and recent.abandoned == 0
    everything = reports.flow_report(tenant.id, menu.id)
    assert [(s.step_id, s.count) for s in everything.abandoned_at] == [("menu", 1),
                                                                       ("passo_antigo", 1)]  # fmt: skip
    assert everything.steps[-1].step_id == "passo_antigo" and everything.steps[-1].count == 1


def test_another_clients_flow_and_runs_stay_out(tenant, menu, create_client):
    other = create_client("Outra")
    theirs = library.create_from_template(other.id, "menu_atendimento", user_id=None)
    versions.publish(other.id, theirs.id, user_id=None)
    _run(other, theirs, "completed", ["menu"])
    assert reports.flow_report(tenant.id, menu.id).started == 0
    with pytest.raises(FlowNotFound):
        reports.flow_report(tenant.id, theirs.id)


def test_the_partial_renders_in_pt_br(app, tenant, menu):
    _run(tenant, menu, "handed_off", ["menu", "para_financeiro"])
    _run(tenant, menu, "abandoned", ["menu"])
    with app.test_request_context("/"):
        html = render_template("flows/_report.html", report=reports.flow_report(tenant.id, menu.id))
        empty = render_template(
            "flows/_report.html", report=reports.FlowReport(flow_id=menu.id, since=None)
        )
    assert "Passagem por passo" in html and "Menu principal" in html and "Abandonaram aqui" in html
    assert 'data-step="para_financeiro"' in html and "50%" in html
    assert "Nenhuma conversa passou por este fluxo ainda" in empty
