"""Headless Chromium: "Nova conversa" with a template (variables pre-filled from the
contact, WhatsApp-style preview, lands in /inbox/c/<id>), and an interactive list whose
customer reply (sandbox /_control/inbound, list_reply with context) shows in the thread.

Screenshots: H3_E2E_SHOTS=<dir> writes desktop (1280) and phone (390) pictures.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from datetime import timedelta

import pytest

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-e2e-nova-1"
PHONE_ID = "100000000000011"
WABA = "100000000000001"
SHOTS = os.environ.get("H3_E2E_SHOTS")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture
def live(app, live_server):
    from clickpro.sandbox import SandboxServer

    server = SandboxServer(
        {
            "webhook_delivery": "manual",
            "webhook_url": f"{live_server}/webhook",
            "app_secret": app.config["META_APP_SECRET"],
            "status_delay_s": 0.05,
        }
    ).start()
    app.config.update(META_GRAPH_URL=server.graph_url, META_HTTP_TRANSPORT=None)
    app.extensions.pop("clickpro.meta_http", None)
    yield live_server, server
    server.stop()


def _login(page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=False)


def _approved(sandbox, create_template, tenant):
    template = create_template(
        tenant,
        name="boas_vindas",
        waba_id=WABA,
        components=[
            {"type": "HEADER", "format": "TEXT", "text": "Loja Nova"},
            {"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} está pronto para retirada!",
             "example": {"body_text": [["Maria", "123"]]}},
            {"type": "FOOTER", "text": "Responda SAIR para não receber mais"},
        ],
    )  # fmt: skip
    created, status = sandbox.templates.create(
        sandbox.account_for_number(PHONE_ID),
        {"name": template.name, "language": template.language, "category": template.category,
         "components": template.components},
    )  # fmt: skip
    assert status == 200, created
    sandbox.templates.set_status(created["id"], "APPROVED")
    # another WABA's approved template is never offered for this number
    create_template(tenant, name="outra_conta", waba_id="999")
    return template


@pytest.mark.parametrize("width", [1280, 390])
def test_new_conversation_with_a_template(
    live, browser_page, create_client, create_member, create_whatsapp_credential,
    create_contact, create_template, width,
):  # fmt: skip
    from playwright.sync_api import expect

    from clickpro.models import Role

    url, server = live
    sandbox = server.state
    tenant = create_client("Loja Nova")
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Nina Agente")
    create_whatsapp_credential(tenant)
    _approved(sandbox, create_template, tenant)
    contact = create_contact(tenant, name="Joana Prado", phone="+5511987650001")
    page = browser_page
    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, url, agent.email)
    # from the contact's page
    page.goto(f"{url}/contacts/{contact.id}")
    page.click('[data-testid="contact-new-conversation"]')
    expect(page.locator('[data-testid="newconv"]')).to_be_visible()
    expect(page.locator('[data-testid="newconv-chosen"]')).to_contain_text("Joana Prado")
    expect(page.locator('[data-testid="newconv-window"]')).to_contain_text("modelo aprovado")
    options = page.locator('[data-testid="newconv-template"] option')
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("boas_vindas")
    variables = page.locator('[data-testid="newconv-var"]')
    expect(variables).to_have_count(2)
    expect(variables.nth(0)).to_have_value("Joana")  # pre-filled from the contact
    preview = page.locator('[data-testid="newconv-preview"]')
    expect(preview).to_contain_text("Olá Joana, seu pedido {{2}}")
    variables.nth(1).fill("A-778")
    expect(preview).to_contain_text("Olá Joana, seu pedido A-778 está pronto")
    expect(preview).to_contain_text("Loja Nova")
    _shot(page, f"newconv-template-{width}.png")
    page.click('[data-testid="newconv-send"]')
    page.wait_for_url(lambda u: "/inbox/c/" in u)
    bubble = page.locator('[data-testid="message"]', has_text="seu pedido A-778")
    expect(bubble).to_have_count(1)
    sends = sandbox.list_sends(PHONE_ID)
    assert [s["type"] for s in sends] == ["template"]
    _shot(page, f"newconv-sent-{width}.png")

    # from the inbox: a typed number (a new contact)
    page.goto(f"{url}/inbox/")
    if width < 500:
        page.wait_for_selector('[data-testid="newconv-open"]')
    page.click('[data-testid="newconv-open"]')
    page.fill('[data-testid="newconv-to"]', "(21) 99876-5432")
    page.click('[data-testid="newconv-typed"]')
    page.fill("#newconv-name", "Caio Lima")
    expect(page.locator('[data-testid="newconv-var"]').first).to_have_value("Caio")
    page.locator('[data-testid="newconv-var"]').nth(1).fill("B-1")
    page.click('[data-testid="newconv-send"]')
    page.wait_for_url(lambda u: "/inbox/c/" in u)
    expect(
        page.locator('[data-testid="message"]', has_text="Olá Caio, seu pedido B-1")
    ).to_have_count(1)
    assert sandbox.list_sends(PHONE_ID)[-1]["to"] == "5521998765432"
    assert errors == []


def _control_inbound(server, body: dict) -> None:
    request = urllib.request.Request(
        f"{server.url}/_control/inbound",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 202


@pytest.mark.parametrize("width", [1280, 390])
def test_interactive_list_and_the_customers_reply(
    live, browser_page, create_client, create_member, create_whatsapp_credential,
    create_contact, width,
):  # fmt: skip
    from playwright.sync_api import expect

    from clickpro.models import Message, Role
    from clickpro.models.base import utcnow

    url, server = live
    sandbox = server.state
    tenant = create_client("Loja Lista")
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Lia Agente")
    create_whatsapp_credential(tenant)
    recent = utcnow() - timedelta(minutes=3)
    contact = create_contact(tenant, name="Pedro Reis", phone="+5511987650002",
                             last_inbound_at=recent, last_message_at=recent,
                             last_message_preview="Quero agendar")  # fmt: skip
    page = browser_page
    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, url, agent.email)
    page.goto(f"{url}/inbox/")
    page.locator('[data-testid="conversation"]', has_text="Pedro Reis").click()
    # The panel opens for the loaded conversation only: wait until its header is drawn.
    expect(page.locator('[data-testid="window-badge"]')).not_to_be_empty()
    page.click('[data-testid="interactive-open"]')
    expect(page.locator('[data-testid="interactive-panel"]')).to_be_visible()
    _shot(page, f"interactive-panel-{width}.png")
    page.click('[data-testid="ikind-list"]')
    page.fill('[data-testid="interactive-body"]', "Escolha um horário para a visita")
    page.fill('[data-testid="ilist-button"]', "Ver horários")
    page.fill('[data-testid="ilist-rows"]', "09:00 | Manhã\n14:00 | Tarde\n" + "x" * 30)
    page.click('[data-testid="interactive-send"]')
    expect(page.locator("#composer-error")).to_contain_text("24 caracteres")  # the limit, named
    assert sandbox.list_sends(PHONE_ID) == []
    page.fill('[data-testid="ilist-rows"]', "09:00 | Manhã\n14:00 | Tarde\n18:30")
    page.click('[data-testid="interactive-send"]')
    sent = page.locator('[data-testid="message"]', has_text="Escolha um horário")
    expect(sent).to_have_count(1)
    expect(sent.locator('[data-testid="list-button"]')).to_contain_text("Ver horários")
    sent.locator('[data-testid="list-button"]').click()
    expect(sent).to_contain_text("14:00")
    (send,) = sandbox.list_sends(PHONE_ID)
    assert send["type"] == "interactive"
    from clickpro.extensions import db

    db.session.expire_all()
    row = db.session.query(Message).filter_by(client_id=tenant.id, type="interactive").one()
    _control_inbound(server, {
        "phone_number_id": PHONE_ID, "from": contact.wa_id, "name": "Pedro Reis",
        "context_id": row.wamid,
        "message": {"type": "interactive", "interactive": {"type": "list_reply",
                    "list_reply": {"id": "row_2", "title": "14:00", "description": "Tarde"}}},
    })  # fmt: skip
    reply = page.locator(
        '[data-testid="message"]', has=page.locator('[data-testid="reply-chosen"]')
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and reply.count() == 0:
        sandbox.flush()
        time.sleep(0.2)
    expect(reply).to_have_count(1)
    expect(reply.locator('[data-testid="reply-chosen"]')).to_contain_text("14:00")
    expect(reply.locator('[data-testid="reply-quote"]')).to_contain_text("Escolha um horário")
    reply.locator('[data-testid="reply-quote"]').click()
    quoted = page.locator(f'[data-testid="message"][data-id="{row.id}"]')
    expect(quoted).to_have_class(re.compile("inbox-ia-flash"))  # linked to the answered message
    _shot(page, f"interactive-{width}.png")
    assert errors == []
