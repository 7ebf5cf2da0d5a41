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
    # read-all is a form post: the page reloads, and bell.js is a module (deferred), so
    # wait for it to have run before calling its hook.
    page.wait_for_function("() => window.ClickPro && window.ClickPro.refreshBell")
    page.evaluate("ClickPro.refreshBell()")
    expect(page.locator("#bell-count")).to_have_text("1")

    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/")
    assert "/login" in page.url


def test_english_login_page(live_server, browser_page):
    from playwright.sync_api import expect

    browser_page.goto(f"{live_server}/login?lang=en")
    expect(browser_page.locator("button[type=submit]")).to_have_text("Sign in")


def test_invitation_is_accepted_in_the_browser_and_deactivation_asks_first(
    live_server, browser_page, create_client, db, app, tmp_path
):
    """An admin invites another client's user; the invitation is e-mailed (the embedded
    outbox, /_dev/mail); the user follows the link, signs in, sees the invitation and
    accepts; deactivating them asks first and says their tokens are revoked."""
    from playwright.sync_api import expect

    from clickpro.services.api.tokens import create_token

    inviting = create_client("Mercadinho Bom Preço")
    invitee = create_client("Farmácia Central").admin
    invitee_email = invitee.email
    page = browser_page
    # the demo's outbox: mails written to MAIL_DIR, listed on /_dev/mail (jobs run inline)
    app.config.update(EMBEDDED=True, MAIL_SUPPRESS=False, SMTP_URL=None,
                      MAIL_DIR=str(tmp_path / "mail"))  # fmt: skip

    _login(page, live_server, inviting.admin.email, PASSWORD)
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/members")
    page.fill("input[name=email]", invitee_email)
    page.select_option("select[name=role]", "CLIENT_ADMIN")
    page.click("form[action$='/members'] button")
    expect(page.locator(".alert-success")).to_contain_text("Convite enviado para")
    expect(page.locator("[data-testid=invitations]")).to_contain_text(invitee_email)
    expect(page.locator("[data-testid=members]")).not_to_contain_text(invitee_email)
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_server}/login")

    page.goto(f"{live_server}/_dev/mail")
    page.locator("[data-testid=dev-mails] a", has_text=invitee_email).click()
    page.wait_for_url(lambda url: "/_dev/mail/" in url)
    expect(page.locator("[data-testid=dev-mail]")).to_contain_text(invitee_email)
    # the link of the mail's text part (inside the collapsed "Versão em texto")
    link = page.locator("[data-testid=dev-mail-text] a", has_text="/invite/")
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{live_server}/invite/")
    page.goto(href)  # as from the mail client; an existing account signs in, then accepts
    page.wait_for_url(lambda url: "/login" in url)
    expect(page.locator(".alert-info")).to_contain_text(invitee_email)
    page.fill("input[name=email]", invitee_email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/invitations")
    expect(page.locator("[data-testid=pending-invitations]")).to_contain_text(
        "Mercadinho Bom Preço"
    )
    page.click("[data-testid=accept]")
    page.wait_for_url(f"{live_server}/")
    expect(page.locator("h1")).to_have_text("Mercadinho Bom Preço")
    invitee_id = invitee.id
    create_token(inviting.id, "integração", user_id=invitee_id)
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")

    _login(page, live_server, inviting.admin.email, PASSWORD)
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/members")
    row = page.locator("tr", has_text=invitee_email)
    expect(row.locator("[data-testid=member-tokens]")).to_contain_text("1 token de API")
    native = []  # the page asks in its own modal (confirm.js), never a second browser confirm()
    page.on("dialog", lambda dialog: (native.append(dialog.message), dialog.dismiss()))
    modal = page.locator("[data-testid=confirm-modal]")
    row.locator("[data-testid=deactivate]").click()
    expect(modal).to_be_visible()
    question = modal.locator("[data-confirm-text]").inner_text()
    assert "revogados" in question and invitee_email in question
    modal.locator("[data-testid=confirm-cancel]").click()  # cancelled: nothing happens
    expect(modal).to_be_hidden()
    expect(row.locator(".badge.text-bg-success")).to_be_visible()
    row.locator("[data-testid=deactivate]").click()
    expect(modal).to_be_visible()
    modal.locator("[data-testid=confirm-ok]").click()  # confirmed
    expect(page.locator(".alert-success")).to_contain_text("1 token(s) de API")
    assert native == []
