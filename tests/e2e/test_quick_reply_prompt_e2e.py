"""Headless Chromium: a quick reply with a variable the contact lacks asks the agent for
it before the text reaches the composer, and a send with a placeholder left opens the
prompt again instead of sending "Você é de ?"."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from clickpro.extensions import db
from clickpro.models import Message, QuickReply, Role
from clickpro.models.base import utcnow

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-e2e-quick-1"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


def test_quick_reply_variables_are_asked_before_sending(
    live_server,
    browser_page,
    sandbox,
    create_client,
    create_member,
    create_contact,
    create_whatsapp_credential,
):
    from playwright.sync_api import expect

    tenant = create_client("Loja Rápida")
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Ana")
    create_whatsapp_credential(tenant)
    now = utcnow() - timedelta(minutes=2)
    create_contact(
        tenant, name="Rita Souza", last_inbound_at=now, last_message_at=now, attributes={}
    )
    db.session.add(
        QuickReply(
            client_id=tenant.id, shortcut="cidade", body="Oi {{first_name}}! Você é de {{cidade}}?"
        )
    )
    db.session.commit()
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{live_server}/inbox/")
    page.locator('[data-testid="conversation"]', has_text="Rita").click()
    expect(page.locator("#thread-resolve")).not_to_have_text("")  # the thread is open
    assert errors == []

    composer = page.locator('[data-testid="composer"]')
    composer.fill("/cid")
    page.locator("#quick-menu button", has_text="/cidade").click()
    prompt = page.locator('[data-testid="quick-vars"]')
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("Valor de cidade")
    page.click('[data-testid="quick-vars-fill"]')  # empty: refused in place
    expect(page.locator("#quick-vars-fields input.is-invalid")).to_have_count(1)
    page.fill("#quick-vars-fields input", "Olinda")
    page.click('[data-testid="quick-vars-fill"]')
    expect(prompt).to_be_hidden()
    expect(composer).to_have_value("Oi Rita! Você é de Olinda?")

    # a placeholder typed or left by hand: the prompt again, nothing sent
    composer.fill("Você é de {{cidade}}?")
    page.click('[data-testid="send"]')
    expect(prompt).to_be_visible()
    assert db.session.query(Message).filter_by(direction="OUT").count() == 0
    page.fill("#quick-vars-fields input", "Recife")
    page.click('[data-testid="quick-vars-fill"]')
    page.click('[data-testid="send"]')
    expect(page.locator('[data-testid="message"]', has_text="Você é de Recife?")).to_have_count(1)
    assert errors == []
