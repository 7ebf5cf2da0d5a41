"""Headless Chromium: the agent's attention — a beep and a desktop notification for a new
conversation, a new message in a conversation assigned to me and an AI handoff, pushed
live; the mute button silences the beep (the notification still shows: muting is about
sound); the conversation the agent is looking at does not alert.

The ``notifications`` permission is granted to the context; an init script records every
``new Notification(...)`` (the real one is still built) and every oscillator the page's
``AudioContext`` creates (a beep is two tones), before the page's scripts run.
"""

from __future__ import annotations

import os
import time

import pytest

from clickpro.crypto import encrypt, last4

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-e2e-attention-1"
PNID = "100000000000011"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

RECORDER = """
(() => {
  window.__notes = [];
  window.__tones = 0;
  const RealNotification = window.Notification;
  if (RealNotification) {
    window.Notification = class extends RealNotification {
      constructor(title, options) {
        window.__notes.push({ title: title, body: (options || {}).body || "", tag: (options || {}).tag || null });
        super(title, options);
      }
    };
  }
  const RealContext = window.AudioContext;
  if (RealContext) {
    window.AudioContext = class extends RealContext {
      createOscillator() { window.__tones += 1; return super.createOscillator(); }
    };
  }
})();
"""

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture
def alerts_live(live_server, live_sandbox):
    return live_server, live_sandbox


def _say(sandbox, phone: str, text: str, name: str) -> None:
    sandbox.state.simulate_inbound(PNID, phone, text=text, name=name)
    deadline = time.monotonic() + 10
    while not sandbox.state.flush() and time.monotonic() < deadline:
        time.sleep(0.05)


def _wait_alerts(page, count: int) -> list[dict]:
    page.wait_for_function(f"() => window.ClickProAttention.alerts.length >= {count}")
    page.wait_for_timeout(300)  # a second (wrong) alert would have arrived by now
    return page.evaluate("() => window.ClickProAttention.alerts")


def _recorded(page) -> tuple[list[dict], int]:
    notes, tones = page.evaluate("() => [window.__notes, window.__tones]")
    return notes, tones


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
def test_new_conversation_my_message_and_handoff_beep_and_notify_unless_muted(
    alerts_live,
    browser_page,
    create_client,
    create_member,
    create_whatsapp_credential,
    create_contact,
    create_conversation,
    db,
    viewport,
):
    from playwright.sync_api import expect

    from clickpro.models import OpenAICredential, Role

    url, sandbox = alerts_live
    tenant = create_client("Loja Alerta", ai_enabled=True)
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Ana Agente")
    create_whatsapp_credential(tenant)
    db.session.add(
        OpenAICredential(
            client_id=tenant.id,
            api_key_enc=encrypt("sk-test-e2e-alert-01"),
            key_last4=last4("sk-test-e2e-alert-01"),
            assistant_id="cpa_test0001",
            model="gpt-4.1-mini",
            instructions="Você é a atendente da Loja Alerta.",
            handoff_keywords=["atendente"],
            status="VALID",
        )
    )
    db.session.commit()
    paula = create_contact(tenant, phone="+5511987006677", name="Paula Minha")
    mine = create_conversation(tenant, paula, assigned_user_id=agent.id, ai_paused=True)
    rui = create_contact(tenant, phone="+5511987008899", name="Rui Robô")
    handed = create_conversation(tenant, rui, unread_count=1)

    page = browser_page
    page.context.grant_permissions(["notifications"], origin=url)
    page.add_init_script(RECORDER)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size(viewport)
    page.goto(f"{url}/login")
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{url}/inbox/")
    page.wait_for_selector('#inbox-live[data-state="online"]', state="attached")
    assert page.evaluate("() => Notification.permission") == "granted"
    # granted already: the "ask" button is not offered
    expect(page.locator('[data-testid="desktop-notifications"]')).to_be_hidden()
    sound = page.locator('[data-testid="sound-toggle"]')
    expect(sound).to_be_visible()
    expect(sound).to_have_attribute("aria-pressed", "false")
    page.click('[data-testid="inbox-search"]')  # the first gesture unlocks the audio
    assert _recorded(page) == ([], 0)

    # 1. a new conversation (a customer the shop never heard from), unassigned
    _say(sandbox, "5511987005566", "Oi, quero um orçamento", "Caio Novo")
    alerts = _wait_alerts(page, 1)
    assert [a["kind"] for a in alerts] == ["new"]
    notes, tones = _recorded(page)
    assert [n["title"] for n in notes] == ["Nova conversa: Caio Novo"]
    assert notes[0]["body"] == "Oi, quero um orçamento"
    assert tones == 2  # one beep: two tones

    # 2. a new message in the conversation assigned to me
    _say(sandbox, "5511987006677", "Chegou o boleto?", "Paula Minha")
    alerts = _wait_alerts(page, 2)
    assert alerts[1] == {"kind": "mine", "conversation_id": mine.id}
    notes, tones = _recorded(page)
    assert notes[1]["title"] == "Nova mensagem de Paula Minha"
    assert notes[1]["tag"] == f"conversation-{mine.id}"
    assert tones == 4

    # 3. the AI hands a conversation to the team (the keyword): the handoff alert, about
    # that conversation (its message itself is no "new" one: it was unread already)
    _say(sandbox, "5511987008899", "Quero falar com um atendente", "Rui Robô")
    alerts = _wait_alerts(page, 3)
    assert alerts[2] == {"kind": "handoff", "conversation_id": handed.id}
    notes, tones = _recorded(page)
    assert notes[2]["title"] == "A IA passou uma conversa para a equipe"
    assert "Rui Robô" in notes[2]["body"]
    assert tones == 6
    assert len(alerts) == 3

    # muted: the next new conversation still notifies, silently
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "true")
    _say(sandbox, "5511987004433", "Bom dia, vocês abrem sábado?", "Duda Nova")
    alerts = _wait_alerts(page, 4)
    assert alerts[3]["kind"] == "new"
    notes, tones = _recorded(page)
    assert notes[3]["title"] == "Nova conversa: Duda Nova"
    assert tones == 6, "muted: no beep"
    # the mute survives loading the page again (localStorage); looking at the conversation
    # assigned to me (its link): its new message does not alert; another one does
    page.goto(f"{url}/inbox/c/{mine.id}")
    page.wait_for_selector('#inbox-live[data-state="online"]', state="attached")
    expect(page.locator("#thread-name")).to_have_text("Paula Minha")
    if viewport is PHONE:  # the phone shows the thread; the sound button is on the list
        page.click('[data-testid="thread-back"]')
    expect(sound).to_have_attribute("aria-pressed", "true")
    sound.click()  # unmuted again (and the gesture that unlocks the audio)
    expect(sound).to_have_attribute("aria-pressed", "false")
    if viewport is PHONE:  # back into it: it is under "Minhas"
        page.click('[data-testid="view-mine"]')
        page.locator(f'[data-testid="conversation"][data-id="{mine.id}"]').click()
        expect(page.locator("#thread-name")).to_be_visible()
    _say(sandbox, "5511987006677", "Achei, obrigada", "Paula Minha")
    page.locator('[data-testid="message"]', has_text="Achei, obrigada").wait_for()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.ClickProAttention.alerts") == []
    _say(sandbox, "5511987002211", "Tem entrega hoje?", "Edu Novo")
    alerts = _wait_alerts(page, 1)
    assert [a["kind"] for a in alerts] == ["new"]
    notes, tones = _recorded(page)
    assert [n["title"] for n in notes] == ["Nova conversa: Edu Novo"] and tones == 2
    assert errors == []
