"""Headless Chromium: what the page's scripts render uses the client's zone, Brazilian
phone formatting and the status/Meta error labels from the catalog (i18n.js)."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]


def test_i18n_helpers_in_the_browser(live_server, browser_page, create_client):
    tenant = create_client("Loja Manaus", timezone="America/Manaus")
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", "senha-segura-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    got = page.evaluate(
        """async () => {
            const m = await import("/static/js/i18n.js");
            return {
              zone: m.zone,
              mobile: m.formatPhone("+5511955550001"),
              landline: m.formatPhone("+551133334444"),
              foreign: m.formatPhone("+12025550123"),
              status: m.label("campaign", "RUNNING"),
              unknown: m.label("campaign", "NEW_STATE"),
              error: m.metaError(131026, "Message undeliverable"),
              ours: m.metaError(null, "Sem valor para a variável"),
            };
        }"""
    )
    assert got["zone"] == "America/Manaus"
    assert got["mobile"] == "+55 11 95555-0001" and got["landline"] == "+55 11 3333-4444"
    assert got["foreign"] == "+12025550123"  # E.164 is already international
    assert got["status"] == "Em envio" and got["unknown"] == "NEW_STATE"
    assert got["error"].startswith("Não foi possível entregar")
    assert got["error"].endswith("Meta: Message undeliverable")
    assert got["ours"] == "Sem valor para a variável"
