"""The demo seeds the three ready-made flows, published, and runs each once."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.extensions import db as _db
from clickpro.models import Client
from clickpro.models.flows import Flow, FlowRun
from clickpro.services.demo import seed_demo
from clickpro.services.flows import reports


def test_demo_flows_published_and_run(app, make_app):
    demo_app = make_app(SANDBOX_ENABLED=True, EMBEDDED=True)
    state = demo_app.extensions["clickpro.sandbox"].extensions["sandbox"]
    state.update_config({"webhook_delivery": "manual"})
    with demo_app.app_context():
        seed_demo()
        shop = _db.session.scalar(sa.select(Client).where(Client.name == "Loja Demo"))
        flows = {f.template_key: f for f in _db.session.scalars(sa.select(Flow))}
        assert set(flows) == {"menu_atendimento", "pre_atendimento_cpf", "pesquisa_satisfacao"}
        assert all(f.client_id == shop.id and f.published_version_id for f in flows.values())
        menu = flows["menu_atendimento"]
        assert menu.enabled and menu.number_id is not None
        assert not flows["pre_atendimento_cpf"].enabled
        keywords = [t for t in menu.draft["triggers"] if t["kind"] == "keyword"][0]["keywords"]
        assert {"menu", "oi"} <= set(keywords)
        ends = {key: reports.flow_report(shop.id, flow.id) for key, flow in flows.items()}
        assert ends["menu_atendimento"].handed_off == 1
        assert ends["pre_atendimento_cpf"].handed_off == 1
        assert ends["pesquisa_satisfacao"].completed == 1
        runs = _db.session.scalar(sa.select(sa.func.count(FlowRun.id)))
        seed_demo()  # a second seed changes nothing
        assert _db.session.scalar(sa.select(sa.func.count(Flow.id))) == 3
        assert _db.session.scalar(sa.select(sa.func.count(FlowRun.id))) == runs
        _db.session.remove()
    state.close()
