"""Headless Chromium: the real login form, the dashboard, the bell, logout."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]

PASSWORD = "senha-segura-123"  # tests/conftest.py create_user's default


def _login(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_login_through_the_form_shows_the_dashboard(live_server, browser_page, create_client):
    from playwright.sync_api import expect

    from clickpro.services.accounts.notifications import notify

    tenant = create_client("Padaria do Zé")
    notify(tenant.id, "test", "Bem-vindo ao ClickPro")
    page = browser_page

    _login(page, live_server, tenant.admin.email, "senha-errada-1")
    expect(page.locator(".alert-danger")).to_contain_text("E-mail ou senha inválidos")
    assert page.url.endswith("/login")

    _login(page, live_server, tenant.admin.email, PASSWORD)
    page.wait_for_url(f"{live_server}/")
    expect(page.locator("h1")).to_have_text("Padaria do Zé")
    expect(page.locator("[data-testid=contacts-count]")).to_have_text("0")
    expect(page.locator("#bell-count")).to_have_text("1")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["session"]["httpOnly"] and cookies["session"]["sameSite"] == "Lax"

    page.click("[data-testid=bell]")
    page.wait_for_url(f"{live_server}/notifications")
    expect(page.locator("[data-testid=notifications]")).to_contain_text("Bem-vindo ao ClickPro")
    page.click("[data-testid=read-all]")
    expect(page.locator("#bell-count")).to_be_hidden()
    # A new notification reaches the bell without a reload (unread.json).
    notify(tenant.id, "test", "Outra novidade")
    page.evaluate("ClickPro.refreshBell()")
    expect(page.locator("#bell-count")).to_have_text("1")

    page.click("nav .dropdown-toggle")
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/")
    assert "/login" in page.url


def test_english_login_page(live_server, browser_page):
    from playwright.sync_api import expect

    browser_page.goto(f"{live_server}/login?lang=en")
    expect(browser_page.locator("button[type=submit]")).to_have_text("Sign in")
