"""Headless Chromium: two agents of one client watch the inbox live.

A signed inbound webhook (the sandbox signs it with META_APP_SECRET and posts it to the
live server's /webhook) appears on both pages without reload; agent A answers; the
sandbox's status webhooks move the ticks to read (blue) on both pages.
"""

from __future__ import annotations

import os
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-e2e-inbox-1"
PHONE_ID = "100000000000011"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture
def inbox_live(app, live_server):
    """The shared live server (threaded werkzeug: Socket.IO WebSocket works) and the
    sandbox on its own port, posting its signed webhooks to the app's /webhook."""
    from clickpro.sandbox import SandboxServer

    sandbox = SandboxServer(
        {
            "webhook_delivery": "manual",
            "webhook_url": f"{live_server}/webhook",
            "app_secret": app.config["META_APP_SECRET"],
            "status_delay_s": 0.05,
        }
    ).start()
    app.config.update(META_GRAPH_URL=sandbox.graph_url, META_HTTP_TRANSPORT=None)
    app.extensions.pop("clickpro.meta_http", None)
    yield live_server, sandbox.state
    sandbox.stop()


@pytest.fixture
def two_pages(browser_page):
    """Agent A's page (the shared ``browser_page``) and agent B's, in its own context."""
    other = browser_page.context.browser.new_context(
        locale="pt-BR", viewport={"width": 1280, "height": 800}
    )
    pages = [browser_page, other.new_page()]
    for page in pages:
        page.set_default_timeout(10_000)
        page.js_errors = []
        page.on("pageerror", lambda exc, page=page: page.js_errors.append(str(exc)))
    yield pages
    if os.environ.get("INBOX_E2E_SCREENSHOT"):
        pages[0].screenshot(path=os.environ["INBOX_E2E_SCREENSHOT"], full_page=True)
    other.close()


def _login(page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{url}/inbox/")
    page.wait_for_selector('#inbox-live[data-state="online"]')


def _flush_until(sandbox, check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sandbox.flush()
        if check():
            return
        time.sleep(0.1)


def test_two_agents_see_inbound_reply_and_read_ticks_live(
    inbox_live, two_pages, create_client, create_member, create_whatsapp_credential
):
    from playwright.sync_api import expect

    from clickpro.models import Role

    url, sandbox = inbox_live
    tenant = create_client("Loja E2E")
    agent_a = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Ana Agente")
    agent_b = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Beto Agente")
    create_whatsapp_credential(tenant)
    page_a, page_b = two_pages
    _login(page_a, url, agent_a.email)
    _login(page_b, url, agent_b.email)

    # inbound: both lists show it live, with an unread badge
    sandbox.simulate_inbound(PHONE_ID, "5511987001122", text="Vocês entregam hoje?", name="Rita")
    assert sandbox.flush()
    for page in (page_a, page_b):
        item = page.locator('[data-testid="conversation"]', has_text="Rita")
        expect(item).to_be_visible()
        expect(item.locator('[data-testid="unread"]')).to_have_text("1")
        expect(item).to_contain_text("Vocês entregam hoje?")
        expect(page.locator(".inbox-no-items")).to_have_count(0)

    # both open it; the bubble is there; opening zeroes unread (read receipt to Meta)
    for page in (page_a, page_b):
        page.locator('[data-testid="conversation"]', has_text="Rita").click()
        expect(
            page.locator('[data-testid="message"]', has_text="Vocês entregam hoje?")
        ).to_be_visible()
    _flush_until(sandbox, lambda: bool(sandbox.read_marks), timeout=5)
    assert sandbox.read_marks, "opening the conversation sends the read receipt"
    expect(page_a.locator('[data-testid="window-badge"]')).to_have_attribute("data-open", "1")

    # A answers; B sees the answer appear without reload
    page_a.fill('[data-testid="composer"]', "Entregamos sim, até as 18h!")
    page_a.click('[data-testid="send"]')
    reply_a = page_a.locator('[data-testid="message"]', has_text="Entregamos sim")
    reply_b = page_b.locator('[data-testid="message"]', has_text="Entregamos sim")
    expect(reply_a).to_have_count(1)
    expect(reply_b).to_have_count(1)
    expect(reply_b).to_contain_text("Ana Agente")

    # statuses: sent → delivered → read; ticks turn blue on both pages
    _flush_until(sandbox, lambda: reply_b.locator(".wa-ticks.read").count() == 1)
    expect(reply_a.locator(".wa-ticks.read")).to_have_count(1)
    expect(reply_b.locator(".wa-ticks.read")).to_have_count(1)
    expect(reply_a.locator(".wa-ticks")).to_have_attribute("data-status", "READ")

    # B goes offline, misses an inbound message, reconnects: the catch-up fills the gap
    page_b.evaluate("ClickPro.live.socket.disconnect()")
    expect(page_b.locator("#inbox-live")).to_have_attribute("data-state", "offline")
    sandbox.simulate_inbound(PHONE_ID, "5511987001122", text="E no sábado?", name="Rita")
    assert sandbox.flush()
    expect(page_a.locator('[data-testid="message"]', has_text="E no sábado?")).to_have_count(1)
    missed = page_b.locator('[data-testid="message"]', has_text="E no sábado?")
    expect(missed).to_have_count(0)
    page_b.evaluate("ClickPro.live.socket.connect()")
    expect(missed).to_have_count(1)
    assert page_a.js_errors == [] and page_b.js_errors == []


def test_closed_window_refuses_text_and_sends_a_template(
    inbox_live,
    two_pages,
    create_client,
    create_member,
    create_whatsapp_credential,
    create_contact,
    create_template,
):
    from datetime import timedelta

    from playwright.sync_api import expect

    from clickpro.models import Role
    from clickpro.models.base import utcnow

    url, sandbox = inbox_live
    tenant = create_client("Loja Janela")
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Caio Agente")
    create_whatsapp_credential(tenant)
    template = create_template(tenant, name="retomar_contato")
    created, status = sandbox.templates.create(
        sandbox.account_for_number(PHONE_ID),
        {
            "name": template.name,
            "language": template.language,
            "category": template.category,
            "components": template.components,
        },
    )
    assert status == 200, created
    sandbox.templates.set_status(created["id"], "APPROVED")
    old = utcnow() - timedelta(hours=30)
    create_contact(
        tenant, name="Davi", last_inbound_at=old, last_message_at=old, last_message_preview="oi"
    )
    page = two_pages[0]
    _login(page, url, agent.email)
    page.locator('[data-testid="conversation"]', has_text="Davi").click()
    expect(page.locator('[data-testid="window-closed"]')).to_be_visible()
    # the UI warns, and the server refuses anyway (409): nothing reaches Meta
    page.fill('[data-testid="composer"]', "Oi Davi, tudo bem?")
    page.click('[data-testid="send"]')
    expect(page.locator("#composer-error")).to_contain_text("janela de 24 horas")
    assert sandbox.list_sends(PHONE_ID) == []
    expect(page.locator('[data-testid="template-panel"]')).to_be_visible()
    page.fill('#template-vars input[data-group="body"]', "Davi")
    page.click('[data-testid="template-send"]')
    bubble = page.locator('[data-testid="message"]', has_text="Olá Davi, temos uma oferta")
    expect(bubble).to_have_count(1)
    assert [s["type"] for s in sandbox.list_sends(PHONE_ID)] == ["template"]
    assert page.js_errors == []
