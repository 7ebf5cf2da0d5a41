"""The flows editor in Chromium (h2): create a flow from the CPF template from the menu,
see its nodes on the canvas, the live problem list, save; with h1's engine: simulate
menu → button → invalid CPF → valid CPF (variables table), publish. Screenshots at 1280
and 390 px under ``/tmp/h2shots`` (or ``H2_SHOTS``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PASSWORD = "senha-segura-123"  # tests/conftest.py create_user's default
SHOTS = os.environ.get("H2_SHOTS", "/tmp/h2shots")


def _login(page, live_server, tenant) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.e2e
def test_editor_from_template(live_server, browser_page, create_client):
    tenant = create_client("Loja Fluxos")
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, tenant)
    page.goto(f"{live_server}/flows/")
    page.click("[data-testid=from-template]")
    page.click("[data-testid=template-pre_atendimento_cpf]")
    page.wait_for_selector("[data-testid=flow-node]")
    assert page.locator("[data-testid=flow-node]").count() == 8
    page.wait_for_selector("[data-testid=problems] li")
    page.click("[data-testid=save-draft]")
    page.wait_for_selector("[data-testid=save-state]:text-is('Salvo')")
    page.screenshot(path=f"{SHOTS}/editor-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS}/editor-390.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.goto(f"{live_server}/flows/")
    page.screenshot(path=f"{SHOTS}/list-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    assert not errors, errors


@pytest.mark.e2e
def test_simulator_cpf_then_publish(live_server, browser_page, create_client):
    pytest.importorskip("clickpro.services.flows.engine")
    tenant = create_client("Loja Simulador")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, tenant)
    page.goto(f"{live_server}/flows/")
    page.click("[data-testid=from-template]")
    page.click("[data-testid=template-pre_atendimento_cpf]")
    page.wait_for_selector("[data-testid=flow-node]")
    page.click("[data-testid=sim-start]")
    page.wait_for_selector("[data-testid=sim-status]:text-is('Aguardando resposta')")
    page.fill("[data-testid=sim-text]", "Maria Souza")
    page.click("[data-testid=sim-send]")
    page.wait_for_selector("[data-testid=sim-var]:has-text('Maria Souza')")
    page.fill("[data-testid=sim-text]", "111.111.111-12")
    page.click("[data-testid=sim-send]")
    page.wait_for_selector("[data-testid=sim-bot]:has-text('não parece válido')")
    page.fill("[data-testid=sim-text]", "529.982.247-25")
    page.click("[data-testid=sim-send]")
    page.wait_for_selector("[data-testid=sim-var]:has-text('52998224725')")
    page.screenshot(path=f"{SHOTS}/simulator-1280.png", full_page=True)
    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=publish-ok]:has-text('versão 1')")


MENU_CPF = {
    "schema": 1,
    "start": "menu",
    "settings": {"timeout_minutes": 30, "timeout_message": "", "exit_keywords": ["atendente"]},
    "triggers": [{"kind": "manual"}],
    "steps": {
        "menu": {"type": "ask", "name": "Menu", "ui": {"x": 40, "y": 40},
                 "message": {"kind": "text", "text": "Escolha uma opção"},
                 "validation": {"kind": "choice", "choices": [
                     {"id": "financeiro", "title": "Financeiro", "description": "", "next": "cpf"},
                     {"id": "suporte", "title": "Suporte", "description": "", "next": "fim"}]},
                 "save_as": "setor", "invalid_message": "Escolha uma opção.", "max_attempts": 3,
                 "on_invalid": "fim"},
        "cpf": {"type": "ask", "name": "CPF", "ui": {"x": 320, "y": 40},
                "message": {"kind": "text", "text": "Seu CPF?"}, "validation": {"kind": "cpf"},
                "save_as": "cpf", "invalid_message": "CPF inválido, tente de novo.",
                "max_attempts": 3, "next": "fim", "on_invalid": "fim"},
        "fim": {"type": "end", "name": "Fim", "ui": {"x": 600, "y": 40},
                "message": {"kind": "text", "text": "Obrigado!"}},
    },
}  # fmt: skip


@pytest.mark.e2e
def test_simulator_menu_button_then_cpf(live_server, browser_page, create_client):
    pytest.importorskip("clickpro.services.flows.engine")
    from clickpro.services.flows import versions

    tenant = create_client("Loja Menu")
    flow = versions.create_flow(tenant.id, "Menu e CPF", user_id=None, graph=MENU_CPF)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server, tenant)
    page.goto(f"{live_server}/flows/{flow.id}")
    page.click("[data-testid=sim-start]")
    page.click("[data-testid=sim-button]:has-text('Financeiro')")
    page.wait_for_selector("[data-testid=sim-bot]:has-text('Seu CPF?')")
    page.fill("[data-testid=sim-text]", "123")
    page.click("[data-testid=sim-send]")
    page.wait_for_selector("[data-testid=sim-bot]:has-text('CPF inválido')")
    page.fill("[data-testid=sim-text]", "52998224725")
    page.click("[data-testid=sim-send]")
    page.wait_for_selector("[data-testid=sim-var]:has-text('52998224725')")
    assert page.inner_text("[data-testid=sim-status]") == "Concluído"
    page.screenshot(path=f"{SHOTS}/simulator-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
