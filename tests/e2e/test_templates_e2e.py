"""Headless Chromium: create a template with a variable, watch the live preview, submit,
see it PENDING, then APPROVED after "sync now" (the sandbox approves after a delay).

Runs against a real HTTP server for the app and the sandbox on loopback ports, with the
shared ``live_server``/``browser_page`` fixtures of tests/e2e/conftest.py (``live_app``
is overridden below to talk to the sandbox).
"""

from __future__ import annotations

import os
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
REVIEW_DELAY_S = 1.0
PASSWORD = "senha-e2e-modelos-1"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture
def templates_sandbox():
    from clickpro.sandbox import SandboxServer

    server = SandboxServer(
        {"template_review_delay_s": REVIEW_DELAY_S, "webhook_delivery": "manual"}
    ).start()
    yield server
    server.stop()


@pytest.fixture
def live_app(app, templates_sandbox):
    """The test app, talking to the sandbox on its port (served by ``live_server``)."""
    app.config.update(
        META_GRAPH_URL=templates_sandbox.graph_url,
        META_HTTP_TRANSPORT=None,
        WTF_CSRF_ENABLED=True,  # as in production: every form must carry its token
    )
    app.extensions.pop("clickpro.meta_http", None)
    return app


def test_create_preview_submit_and_sync(
    live_server, browser_page, create_client, create_whatsapp_credential, db
):
    from playwright.sync_api import expect

    tenant = create_client("Loja E2E")
    tenant.admin.set_password(PASSWORD)
    db.session.commit()
    create_whatsapp_credential(tenant)
    page = browser_page
    base = live_server

    page.goto(f"{base}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto(f"{base}/templates/new")
    preview = page.locator("[data-template-preview]")
    page.fill("#name", "Boas Vindas")  # invalid: the name check flags it before submit
    assert page.locator("[data-name-error]").is_visible()
    page.fill("#name", "boas_vindas_e2e")
    assert not page.locator("[data-name-error]").is_visible()
    page.select_option("#category", "UTILITY")

    body = page.locator("#body_text")
    body.type("Olá {{1}}, seu pedido chegou na loja hoje.")
    # the example input appears as the variable is typed, and the preview follows
    example = page.locator("input[name=body_example]")
    example.wait_for()
    assert example.count() == 1
    expect(preview).to_contain_text("seu pedido chegou na loja hoje")
    expect(preview.locator(".wa-var")).to_have_text("{{1}}")  # no example yet
    example.type("Maria")
    expect(preview.locator(".wa-var-filled")).to_have_text("Maria")
    expect(preview.locator(".wa-body")).to_have_text("Olá Maria, seu pedido chegou na loja hoje.")
    page.fill("#footer_text", "Loja E2E")
    expect(preview.locator(".wa-footer")).to_have_text("Loja E2E")
    # a second variable brings a second example input
    body.press("End")
    body.type(" Código {{2}} para retirada.")
    expect(example).to_have_count(2)

    page.locator("input[name=body_example]").nth(1).fill("A1B2")
    expect(preview.locator(".wa-var-filled").nth(1)).to_have_text("A1B2")
    page.click("[data-testid=submit-template]")
    page.wait_for_url(lambda url: "/templates/" in url and "/new" not in url)
    assert (
        page.locator("[data-testid=status] [data-status]").get_attribute("data-status") == "PENDING"
    )

    time.sleep(REVIEW_DELAY_S + 0.3)  # the sandbox's review
    page.goto(f"{base}/templates")
    row = page.locator('[data-template-row="boas_vindas_e2e:pt_BR"] [data-status]')
    assert row.get_attribute("data-status") == "PENDING"
    page.click("[data-testid=sync-now]")
    expect(row).to_have_attribute("data-status", "APPROVED")
    # shown in the client's zone, not UTC
    expect(page.locator("[data-testid=last-synced]")).to_contain_text("(horário de São Paulo)")
    # the status change also rang the bell
    expect(page.locator("#bell-count")).to_have_text("1")
