"""Each ready-made flow walked end to end in the engine's simulator mode."""

from __future__ import annotations

import pytest

from clickpro.services.flows import engine, library, versions


@pytest.fixture
def tenant(create_client):
    return create_client("Loja Simulador")


def _start(tenant, key):
    flow = library.create_from_template(tenant.id, key, user_id=None)
    versions.publish(tenant.id, flow.id, user_id=None)
    run = engine.start_run(tenant.id, flow.id, conversation_id=None, trigger="manual",
                           mode="simulator")  # fmt: skip
    return flow, run


def _say(tenant, run, text):
    return engine.simulate_input(tenant.id, run.id, text)


def test_menu_choice_hands_off(tenant):
    _flow, run = _start(tenant, "menu_atendimento")
    assert (run.status, run.current_step) == ("waiting_input", "menu")
    run = _say(tenant, run, "2")
    assert run.status == "handed_off" and run.current_step == "para_suporte"
    assert run.variables["opcao"] == "Suporte" and run.variables["opcao_id"] == "suporte"


def test_menu_by_title_and_attempts_used_up(tenant):
    _flow, run = _start(tenant, "menu_atendimento")
    run = _say(tenant, run, "financeiro")
    assert run.current_step == "para_financeiro" and run.status == "handed_off"
    _flow, run = _start(tenant, "menu_atendimento")
    for _ in range(3):
        run = _say(tenant, run, "quero um bolo")
    assert run.status == "handed_off" and run.current_step == "para_atendente"


def test_pre_atendimento_checks_the_cpf_and_hands_off_without_an_erp(tenant):
    _flow, run = _start(tenant, "pre_atendimento_cpf")
    assert run.current_step == "pergunta_nome"
    run = _say(tenant, run, "Rafael Lima")
    assert run.current_step == "pergunta_cpf" and run.variables["nome"] == "Rafael Lima"
    run = _say(tenant, run, "123.456.789-00")  # wrong check digits
    assert run.current_step == "pergunta_cpf" and "cpf" not in run.variables
    run = _say(tenant, run, "529.982.247-25")
    assert run.current_step == "pergunta_pedido" and run.variables["cpf"] == "52998224725"
    run = _say(tenant, run, "PED-20931")
    # no ERP address: the lookup takes its on_error exit straight to the handoff
    assert run.status == "handed_off" and run.current_step == "transferir"
    assert run.variables["pedido"] == "PED-20931"
    texts = [i.get("text") or "" for i in engine.transcript(tenant.id, run.id)["items"]]
    assert any("Já passei seus dados" in t for t in texts)


def test_survey_saves_score_and_comment(tenant):
    _flow, run = _start(tenant, "pesquisa_satisfacao")
    assert run.current_step == "nota"
    run = _say(tenant, run, "5")
    assert run.current_step == "quer_comentar" and run.variables["nota_id"] == "5"
    run = _say(tenant, run, "Sim, quero comentar")
    assert run.current_step == "comentario"
    run = _say(tenant, run, "Entrega rápida!")
    assert run.status == "completed" and run.variables["comentario"] == "Entrega rápida!"


def test_survey_without_comment(tenant):
    _flow, run = _start(tenant, "pesquisa_satisfacao")
    run = _say(tenant, run, "1")
    run = _say(tenant, run, "Não, obrigado")
    assert run.status == "completed" and "comentario" not in run.variables
