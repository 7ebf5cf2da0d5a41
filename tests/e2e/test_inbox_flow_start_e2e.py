"""Headless Chromium (#20, h3): an agent starts the satisfaction survey on the open
conversation from the side panel ("Iniciar fluxo"), sees it running, and ends it.
Screenshots at 1280 and 390 px (H3_SHOTS, default /tmp/h3_shots)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-e2e-fluxo-1"
SHOTS = Path(os.environ.get("H3_SHOTS", "/tmp/h3_shots"))

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture
def scene(app, sandbox, create_client, create_member, create_contact, create_conversation,
          create_whatsapp_credential):  # fmt: skip
    pytest.importorskip("clickpro.services.flows.engine")
    from clickpro.models import Role
    from clickpro.models.base import utcnow
    from clickpro.services.flows import library, versions

    tenant = create_client("Loja Fluxos E2E")
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Ana Atendente")
    number = create_whatsapp_credential(tenant)
    contact = create_contact(tenant, phone="+5511987001133", name="Rita Cliente")
    create_conversation(tenant, contact, number, last_inbound_at=utcnow(),
                        last_message_at=utcnow(), last_message_preview="Chegou, obrigada!")  # fmt: skip
    survey = library.create_from_template(tenant.id, "pesquisa_satisfacao", user_id=None)
    versions.publish(tenant.id, survey.id, user_id=None)
    return tenant, agent


def test_agent_starts_and_ends_a_flow_from_the_inbox(live_server, browser_page, scene):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    _tenant, agent = scene
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{live_server}/inbox/")
    page.locator('[data-testid="conversation"]').filter(has_text="Rita Cliente").click()

    box = page.locator('[data-testid="side-flow"]')
    expect(box).to_be_visible()
    expect(page.locator('[data-testid="flow-select"] option')).to_have_text(
        ["Pesquisa de satisfação"]
    )
    page.click('[data-testid="flow-start"]')
    active = page.locator('[data-testid="flow-active"]')
    expect(active).to_contain_text("Em fluxo: Pesquisa de satisfação")
    expect(active).to_contain_text("passo: nota")
    expect(page.locator('[data-testid="flow-exit"]')).to_be_visible()
    expect(page.locator('[data-testid="flow-start"]')).to_be_hidden()
    page.screenshot(path=str(SHOTS / "inbox_flow_running_1280.png"))

    page.click('[data-testid="flow-exit"]')
    expect(active).to_be_hidden()
    expect(page.locator('[data-testid="flow-start"]')).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.click('[data-testid="thread-details"]')
    expect(box).to_be_visible()
    page.screenshot(path=str(SHOTS / "inbox_flow_390.png"))
    assert errors == []
