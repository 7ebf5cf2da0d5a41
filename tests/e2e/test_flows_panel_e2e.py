"""The flow editor's side panel in Chromium (h1): a flow with reply buttons, a condition,
an HTTP step, a handoff to a team and a keyword trigger built only through form fields
(no JSON typed), saved, reloaded and checked in the database. Screenshots at 1280 and
390 px under ``/tmp/h1shots`` (or ``H1_SHOTS``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PASSWORD = "senha-segura-123"  # tests/conftest.py create_user's default
SHOTS = os.environ.get("H1_SHOTS", "/tmp/h1shots")


def _login(page, live_server, tenant) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _panel(page, selector: str):
    return page.locator(f"[data-testid=step-panel] {selector}")


def _pick(page, step_id: str) -> None:
    page.select_option("[data-testid=step-picker]", step_id)
    page.wait_for_selector(f"[data-testid=step-panel] h2:has-text('{step_id}')")


@pytest.fixture
def world(create_client):
    from clickpro.extensions import db
    from clickpro.models import Label
    from clickpro.models.teams import Team
    from clickpro.services.flows import versions

    tenant = create_client("Loja Painel")
    other = create_client("Outra Loja")
    team = Team(client_id=tenant.id, name="Financeiro")
    foreign = Team(client_id=other.id, name="Equipe de outro cliente")
    label = Label(client_id=tenant.id, name="VIP")
    db.session.add_all([team, foreign, label])
    db.session.commit()
    flow = versions.create_flow(tenant.id, "Atendimento", user_id=None)
    return tenant, team, foreign, label, flow


@pytest.mark.e2e
def test_flow_built_through_form_fields(live_server, browser_page, world):
    from clickpro.extensions import db
    from clickpro.models.flows import Flow
    from clickpro.services.flows.graph import errors_of, validate

    tenant, team, foreign, label, flow = world
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, tenant)
    page.goto(f"{live_server}/flows/{flow.id}")
    page.wait_for_selector("[data-testid=flow-node]")

    # handoff to the team, with a message
    page.click("[data-add=handoff]")
    page.wait_for_selector("[data-testid=step-panel] h2:has-text('handoff_1')")
    options = _panel(page, "[data-testid=field-team] option").all_inner_texts()
    assert "Financeiro" in options and "Equipe de outro cliente" not in options
    _panel(page, "[data-testid=field-team]").select_option(str(team.id))
    _panel(page, "[data-testid=field-text]").fill("Vou te passar para o financeiro.")

    # condition: label VIP -> handoff; closed -> end; else -> end
    page.click("[data-add=condition]")
    page.wait_for_selector("[data-testid=step-panel] h2:has-text('condition_1')")
    _panel(page, "[data-testid=rule-source]").select_option("label")
    _panel(page, "[data-testid=rule-label]").select_option(str(label.id))
    _panel(page, "[data-testid='exit-rules.0.next']").select_option("handoff_1")
    _panel(page, "[data-testid=rule-add]").click()
    _panel(page, "[data-testid=rule-source]").nth(1).select_option("business_hours")
    _panel(page, "[data-testid=rule-op]").nth(1).select_option("closed")
    _panel(page, "[data-testid='exit-rules.1.next']").select_option("fim")
    _panel(page, "[data-testid=exit-else]").select_option("fim")
    assert _panel(page, "[data-testid=rule]").count() == 2

    # http: URL, JSON body row with an inserted variable, timeout, response mapping
    page.click("[data-add=http]")
    page.wait_for_selector("[data-testid=step-panel] h2:has-text('http_1')")
    _panel(page, "[data-testid=field-url]").fill("https://erp.example.com/pedidos")
    _panel(page, "[data-testid=field-timeout]").fill("5")
    _panel(page, "[data-testid=body-custom]").check()
    _panel(page, "[data-testid=body-add]").click()
    _panel(page, "[data-testid=body-key]").fill("telefone")
    _panel(page, "[data-testid=body-row] [data-testid=insert-var]").select_option("contact.phone")
    _panel(page, "[data-testid=map-add]").click()
    _panel(page, "[data-testid=map-key]").fill("status_pedido")
    _panel(page, "[data-testid=map-value]").fill("pedido.status")
    _panel(page, "[data-testid=exit-next]").select_option("condition_1")
    _panel(page, "[data-testid=exit-on_error]").select_option("handoff_1")

    # the greeting becomes reply buttons (max 3, live counter) and leads to the http step
    _pick(page, "boas_vindas")
    _panel(page, "[data-testid=field-kind]").select_option("buttons")
    _panel(page, "[data-testid=field-button]").first.fill("Ver meu pedido")
    _panel(page, "[data-testid=button-add]").click()
    _panel(page, "[data-testid=field-button]").nth(1).fill("Falar com alguém")
    _panel(page, "[data-testid=button-add]").click()
    _panel(page, "[data-testid=field-button]").nth(2).fill("x" * 25)  # maxlength keeps 20
    assert _panel(page, "[data-testid=field-button]").nth(2).input_value() == "x" * 20
    assert _panel(page, "[data-testid=button-add]").is_disabled()
    assert _panel(page, "[data-testid=buttons-count]").inner_text() == "3/3"
    assert page.locator("[data-testid=preview-button]").count() == 3
    _panel(page, "[data-testid=exit-next]").select_option("http_1")

    # a keyword trigger next to the template's manual one, and the timeout
    page.click("[data-testid=trigger-add]")
    page.locator("[data-testid=trigger-keywords]").fill("pedido, status")
    page.locator("[data-testid=trigger-match]").select_option("contains")
    page.click("[data-testid=flow-settings] summary")
    page.fill("[data-testid=set-timeout]", "45")
    page.fill("[data-testid=set-timeout-msg]", "Encerramos por falta de resposta.")

    page.click("[data-testid=save-draft]")
    page.wait_for_selector("[data-testid=save-state]:text-is('Salvo')")
    page.wait_for_timeout(700)  # the debounced live check settles
    assert page.locator("[data-testid=problems] li.text-danger").count() == 0, page.inner_text(
        "[data-testid=problems]"
    )
    page.screenshot(path=f"{SHOTS}/panel-buttons-1280.png", full_page=True)

    db.session.expire_all()
    graph = db.session.get(Flow, flow.id).draft
    steps = graph["steps"]
    assert steps["boas_vindas"]["message"]["kind"] == "buttons"
    assert [b["title"] for b in steps["boas_vindas"]["message"]["buttons"]] == [
        "Ver meu pedido", "Falar com alguém", "x" * 20]  # fmt: skip
    assert steps["boas_vindas"]["next"] == "http_1"
    http = steps["http_1"]
    assert http["url"] == "https://erp.example.com/pedidos"
    assert http["timeout_s"] == 5
    assert http["body"] == {"telefone": "{{contact.phone}}"}
    assert http["map"] == {"status_pedido": "pedido.status"}
    assert (http["next"], http["on_error"]) == ("condition_1", "handoff_1")
    cond = steps["condition_1"]
    assert cond["rules"][0] == {
        "if": {"source": "label", "op": "has", "value": label.id}, "next": "handoff_1"}  # fmt: skip
    assert cond["rules"][1] == {"if": {"source": "business_hours", "op": "closed"}, "next": "fim"}
    assert cond["else"] == "fim"
    handoff = steps["handoff_1"]
    assert handoff["team_id"] == team.id
    assert handoff["message"] == {"kind": "text", "text": "Vou te passar para o financeiro."}
    assert {"kind": "keyword", "keywords": ["pedido", "status"], "match": "contains"} in graph[
        "triggers"
    ]
    assert {"kind": "manual"} in graph["triggers"]
    assert graph["settings"]["timeout_minutes"] == 45
    assert graph["settings"]["timeout_message"] == "Encerramos por falta de resposta."
    assert not errors_of(validate(graph)), validate(graph)

    # reload: the forms show what was stored
    page.reload()
    page.wait_for_selector("[data-testid=flow-node]")
    _pick(page, "condition_1")
    assert _panel(page, "[data-testid=rule-label]").input_value() == str(label.id)
    assert _panel(page, "[data-testid=rule-op]").nth(1).input_value() == "closed"
    page.screenshot(path=f"{SHOTS}/panel-condition-1280.png", full_page=True)
    _pick(page, "http_1")
    assert _panel(page, "[data-testid=body-value]").input_value() == "{{contact.phone}}"
    page.screenshot(path=f"{SHOTS}/panel-http-1280.png", full_page=True)
    _pick(page, "handoff_1")
    assert _panel(page, "[data-testid=field-team]").input_value() == str(team.id)
    assert page.locator("[data-testid=trigger-keywords]").input_value() == "pedido, status"

    # the phone: the canvas hides, the step list, the forms and the triggers stay usable
    page.set_viewport_size({"width": 390, "height": 844})
    _pick(page, "http_1")
    page.screenshot(path=f"{SHOTS}/panel-http-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not errors, errors


@pytest.mark.e2e
def test_panel_live_problems_and_list(live_server, browser_page, world):
    """Problems appear beside the field (unconnected exit, missing variable); a list message
    counts its rows (max 10) and the preview shows them."""
    from clickpro.extensions import db
    from clickpro.models.flows import Flow

    tenant, _team, _foreign, _label, flow = world
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, tenant)
    page.goto(f"{live_server}/flows/{flow.id}")
    page.wait_for_selector("[data-testid=flow-node]")
    page.click("[data-add=send]")
    page.wait_for_selector("[data-testid=step-panel] h2:has-text('send_1')")
    page.wait_for_selector("[data-testid=step-panel] [data-pf=next] [data-testid=field-problem]")
    problem = _panel(page, "[data-pf=next] [data-testid=field-problem]").first.inner_text()
    assert "Saída sem conexão" in problem
    _pick(page, "boas_vindas")  # reachable: a variable nobody sets is reported
    _panel(page, "[data-testid=field-text]").fill("Seu pedido: {{numero_pedido}}")
    page.wait_for_selector(
        "[data-testid=step-panel] [data-testid=field-problem]:has-text('numero_pedido')"
    )
    _pick(page, "send_1")
    _panel(page, "[data-testid=field-kind]").select_option("list")
    for _ in range(9):
        _panel(page, "[data-testid=row-add]").click()
    assert _panel(page, "[data-testid=rows-count]").inner_text() == "10/10"
    assert _panel(page, "[data-testid=row-add]").is_disabled()
    for i in range(10):
        _panel(page, "[data-testid=field-row]").nth(i).fill(f"Opção {i + 1}")
    assert page.locator("[data-testid=preview-row]").count() == 10
    _panel(page, "[data-testid=exit-next]").select_option("fim")
    page.click("[data-testid=save-draft]")
    page.wait_for_selector("[data-testid=save-state]:text-is('Salvo')")
    page.screenshot(path=f"{SHOTS}/panel-list-1280.png", full_page=True)
    db.session.expire_all()
    msg = db.session.get(Flow, flow.id).draft["steps"]["send_1"]["message"]
    rows = msg["sections"][0]["rows"]
    assert [r["title"] for r in rows] == [f"Opção {i + 1}" for i in range(10)]
    assert len({r["id"] for r in rows}) == 10  # unique ids across the list
    assert not errors, errors


@pytest.mark.e2e
def test_set_wait_ai_and_media_steps(live_server, browser_page, world):
    """Labels and attributes, a wait in hours, an AI question with a variable and a media
    message, all through the fields; the stored JSON has the server's shape."""
    from clickpro.extensions import db
    from clickpro.models.flows import Flow

    tenant, _team, _foreign, label, flow = world
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, tenant)
    page.goto(f"{live_server}/flows/{flow.id}")
    page.wait_for_selector("[data-testid=flow-node]")

    page.click("[data-add=set]")
    page.wait_for_selector("[data-testid=step-panel] h2:has-text('set_1')")
    _panel(page, f"[data-testid=add_labels-{label.id}]").check()
    _panel(page, "[data-testid=attr-add]").click()
    _panel(page, "[data-testid=attr-key]").fill("origem")
    _panel(page, "[data-testid=attr-value]").fill("chatbot")
    page.screenshot(path=f"{SHOTS}/panel-set-1280.png", full_page=True)

    page.click("[data-add=wait]")
    page.wait_for_selector("[data-testid=step-panel] h2:has-text('wait_1')")
    _panel(page, "[data-testid=field-wait]").fill("2")
    _panel(page, "[data-testid=field-wait-unit]").select_option("3600")

    page.click("[data-add=ai]")
    page.wait_for_selector("[data-testid=step-panel] h2:has-text('ai_1')")
    _panel(page, "[data-testid=field-instructions]").fill("Resuma o pedido de ")
    _panel(page, "[data-testid=insert-var]").first.select_option("contact.name")
    page.screenshot(path=f"{SHOTS}/panel-ai-1280.png", full_page=True)

    _pick(page, "boas_vindas")
    _panel(page, "[data-testid=field-kind]").select_option("media")
    _panel(page, "[data-testid=field-media-type]").select_option("document")
    _panel(page, "[data-testid=field-media-url]").fill("https://cdn.example.com/catalogo.pdf")
    page.wait_for_selector("[data-testid=preview-media]:has-text('catalogo.pdf')")
    page.screenshot(path=f"{SHOTS}/panel-media-1280.png", full_page=True)

    page.click("[data-testid=save-draft]")
    page.wait_for_selector("[data-testid=save-state]:text-is('Salvo')")
    db.session.expire_all()
    steps = db.session.get(Flow, flow.id).draft["steps"]
    assert steps["set_1"]["add_labels"] == [label.id]
    assert steps["set_1"]["attributes"] == {"origem": "chatbot"}
    assert steps["wait_1"]["seconds"] == 7200
    assert steps["ai_1"]["instructions"] == "Resuma o pedido de {{contact.name}}"
    msg = steps["boas_vindas"]["message"]
    assert (msg["kind"], msg["media_type"], msg["url"]) == (
        "media", "document", "https://cdn.example.com/catalogo.pdf")  # fmt: skip

    page.set_viewport_size({"width": 390, "height": 844})
    _pick(page, "wait_1")
    assert _panel(page, "[data-testid=field-wait]").input_value() == "2"
    page.screenshot(path=f"{SHOTS}/panel-wait-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not errors, errors
