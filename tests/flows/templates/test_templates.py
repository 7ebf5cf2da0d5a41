"""The three ready-made flows: valid as shipped, teams found by name, pt_BR copy."""

from __future__ import annotations

import pytest

from clickpro.extensions import db
from clickpro.models.teams import Team
from clickpro.services.flows import library, versions
from clickpro.services.flows.errors import FlowNotFound

KEYS = ("menu_atendimento", "pre_atendimento_cpf", "pesquisa_satisfacao")


@pytest.fixture
def tenant(create_client):
    return create_client("Loja Modelos")


@pytest.mark.parametrize("key", KEYS)
def test_each_template_validates_without_problems(app, key):
    problems = versions.validate(library.template_graph(key))
    assert [p.as_dict() for p in problems if p.level == "error"] == []


@pytest.mark.parametrize("key", KEYS)
def test_each_template_is_created_and_published(tenant, key):
    flow = library.create_from_template(tenant.id, key, user_id=tenant.admin.id)
    assert flow.template_key == key and flow.name == str(library.TEMPLATES[key].name)
    assert "team_name" not in str(flow.draft)
    assert versions.publish(tenant.id, flow.id, user_id=None).number == 1
    again = library.create_from_template(tenant.id, key, user_id=None)
    assert again.name == f"{flow.name} (cópia)"


def test_menu_finds_the_teams_by_name(tenant, create_client):
    other = create_client("Outra")
    financeiro = Team(client_id=tenant.id, name="FINANCEIRO")
    archived = Team(client_id=tenant.id, name="Suporte", archived_at=db.func.now())
    theirs = Team(client_id=other.id, name="Suporte")
    db.session.add_all([financeiro, archived, theirs])
    db.session.commit()
    steps = library.create_from_template(tenant.id, "menu_atendimento", user_id=None).draft["steps"]
    assert steps["para_financeiro"]["team_id"] == financeiro.id
    assert steps["para_suporte"]["team_id"] is None  # archived here, another client's there
    assert steps["para_atendente"]["team_id"] is None
    choices = steps["menu"]["validation"]["choices"]
    assert [c["title"] for c in choices] == ["Financeiro", "Suporte", "Falar com atendente"]
    assert "1 – Financeiro" in steps["menu"]["message"]["text"]


def test_unknown_template_is_not_found(tenant):
    with pytest.raises(FlowNotFound):
        library.create_from_template(tenant.id, "nao_existe", user_id=None)


def test_template_copies_are_independent(tenant):
    graph = library.template_graph("menu_atendimento")
    graph["steps"].clear()
    assert library.template_graph("menu_atendimento")["steps"]
