"""Headless Chromium: an agent snoozes a conversation, the job reopens it and the bell
shows the reminder live; the typing indicator goes to WhatsApp; a lost connection shows
"Reconectando…" until the socket is back."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-e2e-snooze-1"
SHOTS = os.environ.get("SNOOZE_E2E_SHOTS")  # a folder: screenshots at 1280 and 390 px

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name))


@pytest.fixture
def snoozable(
    create_client,
    create_member,
    create_whatsapp_credential,
    create_contact,
    create_conversation,
    create_message,
):
    """Loja Adia: agent Ana and Rita's open conversation with one unread message."""
    from clickpro.models import Role
    from clickpro.models.base import utcnow

    tenant = create_client("Loja Adia")
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Ana Agente")
    create_whatsapp_credential(tenant)
    contact = create_contact(tenant, name="Rita Cliente")
    at = utcnow() - timedelta(minutes=3)
    conv = create_conversation(
        tenant,
        contact,
        last_inbound_at=at,
        last_message_at=at,
        last_message_preview="Posso pagar amanhã?",
        unread_count=1,
    )
    create_message(
        tenant,
        contact,
        conversation=conv,
        body="Posso pagar amanhã?",
        wamid="wamid.e2e.snooze.1",
        created_at=at,
    )
    return tenant, agent, conv


def _login(page, url: str, email: str, path: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{url}{path}")
    page.wait_for_selector('#inbox-live[data-state="online"]', state="attached")


def test_snooze_wake_bell_typing_and_reconnecting(
    live_server,
    browser_page,
    sandbox,
    snoozable,
):
    from playwright.sync_api import expect

    from clickpro.services.inbox import attention

    tenant, agent, conv = snoozable
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, live_server, agent.email, f"/inbox/c/{conv.id}")
    row = page.locator(f'[data-testid="conversation"][data-id="{conv.id}"]')
    expect(row).to_be_visible()
    expect(page.locator("#thread-name")).to_have_text("Rita Cliente")

    # typing in the composer: one typing indicator to WhatsApp, not one per key
    page.locator('[data-testid="composer"]').press_sequentially("Vou verificar", delay=20)
    deadline = time.monotonic() + 5
    while not sandbox.typing_indicators and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert [t["message_id"] for t in sandbox.typing_indicators] == ["wamid.e2e.snooze.1"]
    page.fill('[data-testid="composer"]', "")

    # snooze "daqui a 1 hora": it leaves "Abertas", the header says until when
    page.click('[data-testid="snooze"]')
    menu = page.locator('[data-testid="snooze-menu"]')
    expect(menu).to_be_visible()
    expect(menu.locator('[data-preset="tomorrow_9"] [data-local]')).not_to_have_text("")
    _shot(page, "snooze-menu-1280.png")
    menu.locator('[data-preset="1h"]').click()
    expect(page.locator('[data-testid="unsnooze"]')).to_be_visible()
    expect(page.locator('[data-testid="unsnooze"]')).to_contain_text("Adiada até")
    expect(row).to_have_count(0)
    _shot(page, "snoozed-1280.png")
    # the "Adiadas" filter lists it
    page.select_option('#inbox-filters [name="status"]', "SNOOZED")
    expect(row).to_be_visible()
    page.select_option('#inbox-filters [name="status"]', "OPEN")
    expect(row).to_have_count(0)

    # it becomes due; the job reopens it: back in the list, the bell shows the reminder live
    badge = page.locator("#bell-count")
    expect(badge).to_be_hidden()
    assert attention.wake_due(datetime.now(UTC) + timedelta(hours=1, minutes=1)) == 1
    expect(row).to_be_visible()
    expect(badge).to_have_text("1")
    expect(page.locator('[data-testid="unsnooze"]')).to_be_hidden()
    expect(page.locator('[data-testid="snooze"]')).to_be_visible()
    _shot(page, "woken-1280.png")

    # the connection drops: "Reconectando…" until it is back (network, then the socket)
    banner = page.locator('[data-testid="reconnecting"]')
    expect(banner).to_be_hidden()
    page.context.set_offline(True)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Reconectando")
    _shot(page, "reconnecting-1280.png")
    page.context.set_offline(False)
    page.evaluate("window.ClickPro.live.socket.io.engine.close()")  # the socket itself drops
    expect(banner).to_be_visible()
    expect(page.locator('#inbox-live[data-state="online"]')).to_be_visible(timeout=15_000)
    expect(banner).to_be_hidden()

    # the reminder in the bell leads to the conversation
    page.goto(f"{live_server}/notifications")
    item = page.locator("text=Lembrete: a conversa com Rita Cliente voltou para Abertas.")
    expect(item).to_be_visible()
    page.locator("button", has_text="Abrir").first.click()
    page.wait_for_url(f"**/inbox/c/{conv.id}")

    # phone width: the header controls fit; snooze again for the screenshot
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_selector('#inbox-live[data-state="online"]', state="attached")
    page.click('[data-testid="snooze"]')
    expect(menu).to_be_visible()
    expect(menu.locator('[data-preset="tomorrow_9"] [data-local]')).not_to_have_text("")
    _shot(page, "snooze-menu-390.png")
    menu.locator('[data-preset="tomorrow_9"]').click()
    expect(page.locator('[data-testid="unsnooze"]')).to_be_visible()
    _shot(page, "snoozed-390.png")
    page.context.set_offline(True)
    expect(banner).to_be_visible()
    _shot(page, "reconnecting-390.png")
    page.context.set_offline(False)
    assert errors == []


def test_snooze_and_wake_at_phone_width(
    live_server,
    browser_page,
    sandbox,
    snoozable,
):
    """390×844: snooze from the thread header, the job reopens it, it is back in the list
    and the bell (in the phone's menu) counts the reminder, pushed live."""
    from playwright.sync_api import expect

    from clickpro.services.inbox import attention

    tenant, agent, conv = snoozable
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server, agent.email, f"/inbox/c/{conv.id}")
    expect(page.locator("#thread-name")).to_have_text("Rita Cliente")
    row = page.locator(f'[data-testid="conversation"][data-id="{conv.id}"]')

    page.click('[data-testid="snooze"]')
    menu = page.locator('[data-testid="snooze-menu"]')
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # fits the phone
    menu.locator('[data-preset="1h"]').click()
    expect(page.locator('[data-testid="unsnooze"]')).to_be_visible()
    expect(page.locator('[data-testid="unsnooze"]')).to_contain_text("Adiada até")
    expect(row).to_have_count(0)

    badge = page.locator("#bell-count")
    expect(badge).to_have_class(re.compile(r"\bd-none\b"))
    assert attention.wake_due(datetime.now(UTC) + timedelta(hours=1, minutes=1)) == 1
    # reopened live: the header offers "Adiar" again, the bell counts the reminder
    expect(page.locator('[data-testid="snooze"]')).to_be_visible()
    expect(page.locator('[data-testid="unsnooze"]')).to_be_hidden()
    expect(badge).to_have_text("1")
    expect(badge).not_to_have_class(re.compile(r"\bd-none\b"))
    _shot(page, "woken-390.png")
    # back to the list: the conversation is in "Abertas" again
    page.click("#thread-back")
    expect(row).to_be_visible()
    # the phone's menu shows the bell with the count; it leads to the reminder
    page.click(".navbar-toggler")
    expect(badge).to_be_visible()
    page.click('[data-testid="bell"]')
    item = page.locator("text=Lembrete: a conversa com Rita Cliente voltou para Abertas.")
    expect(item).to_be_visible()
    page.locator("button", has_text="Abrir").first.click()
    page.wait_for_url(f"**/inbox/c/{conv.id}")
    expect(page.locator("#thread-name")).to_have_text("Rita Cliente")
    assert errors == []
