"""Headless Chromium: the campaign wizard of a client with two numbers on two WABAs offers
only the chosen number's templates, follows a change of number (templates, speed limit)
and saves the campaign on that number (#16)."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-segura-123"  # tests/conftest.py's default
BODY = [{"type": "BODY", "text": "Olá {{1}}!", "example": {"body_text": [["Maria"]]}}]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


def test_wizard_templates_follow_the_chosen_number(
    live_server, browser_page, sandbox, create_client, create_whatsapp_credential, create_template
):
    from clickpro.extensions import db
    from clickpro.models import Campaign

    tenant = create_client("Loja Dois Números")
    first = create_whatsapp_credential(tenant, display_name="Vendas")
    account = sandbox.create_account()
    second = create_whatsapp_credential(
        tenant,
        {
            "access_token": account.access_token,
            "waba_id": account.waba_id,
            "phone_number_id": account.phone_number_id,
            "app_id": account.app_id,
            "display_phone_number": "+55 11 3000-0002",
        },
        display_name="Suporte",
        throughput_mps=20,
    )
    sales = create_template(tenant, name="oferta_vendas", components=BODY, waba_id=first.waba_id)
    support = create_template(tenant, name="aviso_suporte", components=BODY, waba_id=second.waba_id)
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/campaigns/new")
    number = page.locator("[data-testid=campaign-number]")
    expect(number).to_have_value(str(first.id))
    sales_option = page.locator(f"#template_id option[value='{sales.id}']")
    support_option = page.locator(f"#template_id option[value='{support.id}']")
    expect(sales_option).to_be_enabled()
    expect(support_option).to_be_disabled()
    page.select_option("#template_id", str(sales.id))
    page.wait_for_selector("#var-body-0")
    # Another number: the first WABA's template is no longer offered, the choice is reset
    # and the speed limit is the new number's.
    number.select_option(str(second.id))
    expect(sales_option).to_be_disabled()
    expect(support_option).to_be_enabled()
    expect(page.locator("#template_id")).to_have_value("")
    expect(page.locator("#throughput-text")).to_contain_text("20/s")
    page.select_option("#template_id", str(support.id))
    page.wait_for_selector("#var-body-0")
    page.fill("#name", "Aviso pelo suporte")
    page.fill("#rate_mps", "5")
    page.click("[data-testid=save-campaign]")
    expect(page.locator("[data-testid=campaign-number]")).to_contain_text("Suporte")
    campaign = db.session.query(Campaign).one()
    assert (campaign.number_id, campaign.template_id) == (second.id, support.id)
