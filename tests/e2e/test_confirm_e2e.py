"""Destructive actions in Chromium: the dialog asks, Cancel keeps, Confirm does it."""

from __future__ import annotations

from clickpro.services.api import tokens as api_tokens

PASSWORD = "senha-segura-123"  # tests/conftest.py create_user's default


def test_revoke_token_asks_then_revokes(live_server, browser_page, create_client, db):
    tenant = create_client()
    token = api_tokens.create_token(tenant.id, "ERP", tenant.admin.id)[0]
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/settings/api-tokens")

    page.click(f"[data-testid=revoke-{token.id}]")
    page.wait_for_selector("#confirm-modal.show")
    assert "ERP" in page.inner_text("[data-confirm-text]")
    assert page.inner_text("[data-testid=confirm-ok]") == "Revogar"
    page.click("[data-testid=confirm-cancel]")
    page.wait_for_selector("#confirm-modal", state="hidden")
    db.session.expire_all()
    assert api_tokens.list_tokens(tenant.id)[0].revoked_at is None  # Cancel keeps it

    page.click(f"[data-testid=revoke-{token.id}]")
    page.wait_for_selector("#confirm-modal.show")
    with page.expect_navigation():
        page.click("[data-testid=confirm-ok]")
    db.session.expire_all()
    assert api_tokens.list_tokens(tenant.id)[0].revoked_at is not None
