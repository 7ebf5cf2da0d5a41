"""The AI playground in Chromium (desktop and phone): an admin asks a question that
makes the assistant call the shop's order-lookup tool (a real local HTTP endpoint) and
sees the answer, the tool call with its arguments, result and time, and the tokens.
Screenshots under ``/tmp/h6shots`` (or ``H6_SHOTS``)."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clickpro.crypto import encrypt, last4
from clickpro.models import OpenAICredential
from clickpro.services.ai.tool_store import ToolInput, create_tool

PASSWORD = "senha-segura-123"  # tests/conftest.py create_user's default
SHOTS = os.environ.get("H6_SHOTS", "/tmp/h6shots")
API_KEY = "sk-test-clickpro-playground-0001"
SCHEMA = {
    "type": "object",
    "properties": {"numero_pedido": {"type": "string", "description": "Número do pedido"}},
    "required": ["numero_pedido"],
}


class OrderApi:
    """The shop's own order lookup on 127.0.0.1."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                api.bodies.append(body)
                answer = json.dumps({"pedido": body.get("numero_pedido"), "status": "enviado",
                                     "previsao": "05/12"}).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pedidos"


def _shop(app, create_client, create_whatsapp_credential, db, order_api):
    app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = True  # the shop's API runs on this machine
    tenant = create_client("Loja Playground")  # AI still off for customers
    create_whatsapp_credential(tenant)
    db.session.add(OpenAICredential(
        client_id=tenant.id, api_key_enc=encrypt(API_KEY), key_last4=last4(API_KEY),
        assistant_id="cpa_play0001", model="gpt-4.1-mini", status="VALID",
        instructions="Você é a atendente da Loja Playground.", context_messages=12,
        handoff_keywords=["atendente"], options={}))  # fmt: skip
    db.session.commit()
    create_tool(tenant.id, ToolInput(
        name="consultar_pedido", description="Consultar o status de um pedido pelo número",
        parameters=json.dumps(SCHEMA), url=order_api.url, timeout_s="3", enabled=True))  # fmt: skip
    return tenant


def _login(page, live_server, tenant) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@pytest.fixture
def order_api():
    api = OrderApi()
    yield api
    api.server.shutdown()
    api.server.server_close()


@pytest.mark.e2e
def test_playground_question_calls_a_tool(
    app, sandbox, live_server, browser_page, create_client, create_whatsapp_credential, db,
    order_api,
):  # fmt: skip
    pytest.importorskip("clickpro.services.ai.answer", reason="h4's answer loop (#21) not merged")
    tenant = _shop(app, create_client, create_whatsapp_credential, db, order_api)
    page = browser_page
    _login(page, live_server, tenant)
    page.goto(f"{live_server}/ai/playground/")
    page.fill("[data-testid=pg-instructions]", "Responda curto. Use consultar_pedido.")
    page.wait_for_selector("[data-testid=pg-override-note]:not([hidden])")
    page.fill("[data-testid=pg-input]", "Oi! Qual o status do meu pedido 48213?")
    page.click("[data-testid=pg-send]")
    page.wait_for_selector("[data-testid=pg-tool-call]")
    call = page.inner_text("[data-testid=pg-tool-call]")
    assert "consultar_pedido" in call and "48213" in call and "enviado" in call
    assert page.get_attribute("[data-testid=pg-tool-call]", "data-status") == "ok"
    answer = page.inner_text("[data-testid=pg-answer]")
    assert answer.strip()
    assert "tokens" in page.inner_text("[data-testid=pg-usage]")
    assert "instruções não salvas" in page.inner_text("[data-testid=pg-turn]")
    assert order_api.bodies == [{"numero_pedido": "48213"}]
    assert sandbox.openai_counts["responses"] >= 2  # the call, then the answer from its output
    # A question without a tool, with tools switched off: no call.
    page.uncheck("[data-testid=pg-tools]")
    page.fill("[data-testid=pg-input]", "E o pedido 99999?")
    page.click("[data-testid=pg-send]")
    page.locator("[data-testid=pg-turn]").nth(1).wait_for()
    second = page.locator("[data-testid=pg-turn]").nth(1)
    assert second.locator("[data-testid=pg-tool-call]").count() == 0
    assert "sem ferramentas" in second.inner_text()
    assert len(order_api.bodies) == 1
    # the chat is kept server-side: a reload shows both turns
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.reload()
    assert page.locator("[data-testid=pg-turn]").count() == 2
    page.screenshot(path=f"{SHOTS}/playground-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=f"{SHOTS}/playground-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 392  # no sideways scroll


@pytest.mark.e2e
def test_tools_page_and_the_test_button(
    app, live_server, browser_page, create_client, create_whatsapp_credential, db, order_api
):
    tenant = _shop(app, create_client, create_whatsapp_credential, db, order_api)
    page = browser_page
    _login(page, live_server, tenant)
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server}/ai/tools/new")
    page.fill("#name", "Nome Ruim")
    page.fill("#description", "x")
    page.fill("#url", "https://example.com/x")
    page.fill("#parameters", "{nao é json")
    assert "JSON inválido" in page.inner_text("[data-testid=schema-status]")
    page.evaluate("document.querySelector('#name').removeAttribute('pattern')")
    page.click("[data-testid=save-tool]")
    assert "minúsculas" in page.inner_text("[data-testid=error-name]")
    assert page.input_value("#url") == "https://example.com/x"  # kept
    page.goto(f"{live_server}/ai/tools/")
    page.screenshot(path=f"{SHOTS}/tools-desktop.png", full_page=True)
    page.click("text=Editar")
    page.fill("#arguments", '{"numero_pedido": "777"}')
    page.click("[data-testid=test-tool]")
    page.wait_for_selector("[data-testid=test-result]:not([hidden])")
    assert "enviado" in page.inner_text("[data-testid=test-result]")
    assert order_api.bodies == [{"numero_pedido": "777"}]
    page.screenshot(path=f"{SHOTS}/tool-edit-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=f"{SHOTS}/tool-edit-phone.png", full_page=True)
    page.goto(f"{live_server}/ai/tools/")
    page.screenshot(path=f"{SHOTS}/tools-phone.png", full_page=True)
    page.goto(f"{live_server}/ai/playground/")
    page.screenshot(path=f"{SHOTS}/playground-empty-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 392


@pytest.mark.e2e
def test_playground_plain_question_and_save_instructions(
    app, sandbox, live_server, browser_page, create_client, create_whatsapp_credential, db,
    order_api,
):  # fmt: skip
    tenant = _shop(app, create_client, create_whatsapp_credential, db, order_api)
    page = browser_page
    _login(page, live_server, tenant)
    page.goto(f"{live_server}/ai/playground/")
    page.fill("[data-testid=pg-instructions]", "Responda em uma frase, com emoji.")
    page.fill("[data-testid=pg-input]", "Vocês entregam em Campinas?")
    page.click("[data-testid=pg-send]")
    page.wait_for_selector("[data-testid=pg-answer]")
    assert "Campinas" in page.inner_text("[data-testid=pg-answer]")
    assert "tokens" in page.inner_text("[data-testid=pg-usage]")
    assert "instruções não salvas" in page.inner_text("[data-testid=pg-turn]")
    assert order_api.bodies == []  # no order number: no tool call
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/playground-answer-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS}/playground-answer-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    page.set_viewport_size({"width": 1280, "height": 800})
    # "Salvar instruções" asks first, then writes the real assistant
    page.click("[data-testid=pg-save-instructions]")
    page.click("[data-confirm-ok]")
    page.wait_for_selector(".alert-success")
    db.session.expire_all()
    saved = db.session.query(OpenAICredential).filter_by(client_id=tenant.id).one()
    assert saved.instructions == "Responda em uma frase, com emoji."
    assert page.input_value("[data-testid=pg-instructions]") == "Responda em uma frase, com emoji."
    assert page.locator("[data-testid=pg-turn]").count() == 1  # the chat survives the reload
    page.click("[data-testid=pg-reset]")
    page.wait_for_selector("#pg-empty:not(.d-none)")
    assert page.locator("[data-testid=pg-turn]").count() == 0
