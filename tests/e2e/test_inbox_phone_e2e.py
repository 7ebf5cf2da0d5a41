"""Headless Chromium: the inbox on a phone (390×844), deep links and the history.

On a phone the inbox is one pane at a time: list → conversation → details, each with a
back button; the composer stays at the bottom of the screen; nothing scrolls sideways;
tap targets are at least 40 px. Every conversation has its own URL (/inbox/c/<id>): a
reload keeps it open, back/forward move between the opened conversations (and back to
the list on a phone), and a panel action (creating a label) leaves it open.
"""

from __future__ import annotations

import os
import re

import pytest
from test_inbox_e2e import PASSWORD, PHONE_ID, _login, inbox_live  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture
def inbox(inbox_live, browser_page, create_client, create_member, create_whatsapp_credential):  # noqa: F811
    """An agent's page on the inbox with two customers' conversations: (page, url, ids)
    where ids maps the customer's name to the conversation id."""
    from clickpro.extensions import db
    from clickpro.models import Contact, Conversation, Role

    url, sandbox = inbox_live
    tenant = create_client("Loja Celular")
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Ana Agente")
    create_whatsapp_credential(tenant, display_name="Vendas")
    page = browser_page
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    sandbox.simulate_inbound(PHONE_ID, "5511987001111", text="Quero comprar um tênis", name="Rita")
    sandbox.simulate_inbound(PHONE_ID, "5511987002222", text="Vocês entregam hoje?", name="Caio")
    assert sandbox.flush()
    ids = {}
    query = db.session.query(Contact.name, Conversation.id).join(
        Conversation, Conversation.contact_id == Contact.id
    )
    for name, conversation_id in query.filter(Contact.client_id == tenant.id):
        ids[name] = conversation_id
    assert set(ids) == {"Rita", "Caio"}
    _login(page, url, agent.email)
    return page, url, ids


def _no_sideways_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"page is {scroll}px wide at {width}px"


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not visible"
    return box


def _open(page, name: str) -> None:
    page.locator('[data-testid="conversation"]', has_text=name).click()
    page.locator('[data-testid="message"]').first.wait_for()


def test_phone_list_conversation_details_and_back(inbox):
    from playwright.sync_api import expect

    page, url, ids = inbox
    page.set_viewport_size(PHONE)
    page.goto(f"{url}/inbox/")
    rows = page.locator('[data-testid="conversation"]')
    expect(rows).to_have_count(2)
    expect(page.locator("#inbox")).to_have_attribute("data-view", "list")
    expect(page.locator(".inbox-thread")).to_be_hidden()
    _no_sideways_scroll(page, 390)
    assert _box(page, '[data-testid="conversation"]')["height"] >= 40

    # list → conversation: its URL, the list gone, the composer at the bottom of the screen
    _open(page, "Rita")
    expect(page).to_have_url(re.compile(rf"/inbox/c/{ids['Rita']}$"))
    expect(page.locator(".inbox-list")).to_be_hidden()
    composer = _box(page, '[data-testid="composer"]')
    send = _box(page, '[data-testid="send"]')
    assert send["y"] + send["height"] <= 844 and composer["y"] > 844 / 2
    for selector in ("#thread-back", "#thread-details", '[data-testid="send"]', "#thread-resolve"):
        box = _box(page, selector)
        assert box["height"] >= 40 and box["width"] >= 40, (selector, box)
    _no_sideways_scroll(page, 390)
    # usable: a reply goes out and shows in the thread, the composer still on screen
    page.fill('[data-testid="composer"]', "Temos sim! Qual o seu número?")
    page.click('[data-testid="send"]')
    thread = page.locator('[data-testid="message"]')
    expect(thread.filter(has_text="Qual o seu número")).to_have_count(1)
    send = _box(page, '[data-testid="send"]')
    assert send["y"] + send["height"] <= 844

    # conversation → details (from the header) → back to the conversation
    page.click('[data-testid="thread-details"]')
    expect(page.locator("#side")).to_be_visible()
    expect(page.locator(".inbox-thread")).to_be_hidden()
    expect(page.locator("#side-details")).to_contain_text("+55 11 98700-1111")
    _no_sideways_scroll(page, 390)
    page.click('[data-testid="side-back"]')
    expect(page.locator(".inbox-thread")).to_be_visible()
    expect(page.locator("#side")).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/inbox/c/{ids['Rita']}$"))

    # conversation → list (the back button), then the browser's forward/back
    page.click('[data-testid="thread-back"]')
    expect(page.locator(".inbox-list")).to_be_visible()
    expect(page.locator(".inbox-thread")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    page.go_forward()
    expect(page).to_have_url(re.compile(rf"/inbox/c/{ids['Rita']}$"))
    expect(thread.filter(has_text="Quero comprar")).to_have_count(1)
    expect(page.locator(".inbox-list")).to_be_hidden()
    page.go_back()
    expect(page.locator(".inbox-list")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    assert page.js_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_deep_link_reload_keeps_the_conversation(inbox, viewport):
    from playwright.sync_api import expect

    page, url, ids = inbox
    page.set_viewport_size(viewport)
    # a link from outside (a notification, another tab) opens the conversation ...
    page.goto(f"{url}/inbox/c/{ids['Caio']}")
    thread = page.locator('[data-testid="message"]')
    expect(thread.filter(has_text="Vocês entregam hoje?")).to_have_count(1)
    expect(page.locator("#thread-name")).to_have_text("Caio")
    # ... a reload keeps it
    page.reload()
    expect(page).to_have_url(re.compile(rf"/inbox/c/{ids['Caio']}$"))
    expect(thread.filter(has_text="Vocês entregam hoje?")).to_have_count(1)
    expect(page.locator('[data-testid="composer"]')).to_be_visible()
    expect(page.locator(f'.inbox-conv.active[data-id="{ids["Caio"]}"]')).to_have_count(1)
    _no_sideways_scroll(page, viewport["width"])
    # ... and back returns to the list (put behind the deep link)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page.locator(".inbox-list")).to_be_visible()
    if viewport == DESKTOP:
        expect(page.locator("#thread-empty")).to_be_visible()
    assert page.js_errors == []


def test_back_and_forward_move_between_opened_conversations(inbox):
    from playwright.sync_api import expect

    page, url, ids = inbox
    page.set_viewport_size(DESKTOP)
    page.goto(f"{url}/inbox/")
    name = page.locator("#thread-name")
    _open(page, "Rita")
    expect(name).to_have_text("Rita")
    _open(page, "Caio")
    expect(name).to_have_text("Caio")
    expect(page).to_have_url(re.compile(rf"/inbox/c/{ids['Caio']}$"))
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/inbox/c/{ids['Rita']}$"))
    expect(name).to_have_text("Rita")
    thread = page.locator('[data-testid="message"]')
    expect(thread.filter(has_text="Quero comprar")).to_have_count(1)
    expect(thread.filter(has_text="entregam")).to_have_count(0)
    page.go_forward()
    expect(name).to_have_text("Caio")
    expect(thread.filter(has_text="entregam")).to_have_count(1)
    page.go_back()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page.locator("#thread-empty")).to_be_visible()
    expect(page.locator(".inbox-conv.active")).to_have_count(0)
    assert page.js_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_creating_a_label_keeps_the_conversation_open(inbox, viewport):
    from playwright.sync_api import expect

    from clickpro.extensions import db
    from clickpro.models import ContactLabel, Conversation, Label

    page, url, ids = inbox
    page.set_viewport_size(viewport)
    page.goto(f"{url}/inbox/")
    _open(page, "Rita")
    page.fill('[data-testid="composer"]', "rascunho da resposta")
    if viewport == PHONE:
        page.click('[data-testid="thread-details"]')
    page.fill('#new-label input[name="name"]', "Cliente VIP")
    page.click("#new-label button")
    tag = page.locator("#side-labels label", has_text="Cliente VIP")
    expect(tag).to_be_visible()
    # the same conversation, pane and draft: no reload happened
    expect(page).to_have_url(re.compile(rf"/inbox/c/{ids['Rita']}$"))
    expect(page.locator("#side")).to_be_visible()
    expect(page.locator('#new-label input[name="name"]')).to_have_value("")
    assert page.evaluate("window.ClickProInbox.state.current.id") == ids["Rita"]
    assert page.locator('[data-testid="composer"]').input_value() == "rascunho da resposta"
    # the new label works at once: on the conversation and in the list filter
    tag.click()
    row = page.locator(f'[data-testid="conversation"][data-id="{ids["Rita"]}"]')
    expect(row).to_contain_text("Cliente VIP")
    db.session.expire_all()
    contact_id = db.session.get(Conversation, ids["Rita"]).contact_id
    names = db.session.query(Label.name).join(ContactLabel, ContactLabel.label_id == Label.id)
    assert [n for (n,) in names.filter(ContactLabel.contact_id == contact_id)] == ["Cliente VIP"]
    expect(page.locator('select[name="label"] option', has_text="Cliente VIP")).to_have_count(1)
    if viewport == PHONE:
        page.click('[data-testid="side-back"]')
        expect(page.locator('[data-testid="composer"]')).to_have_value("rascunho da resposta")
    assert page.js_errors == []


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_no_sideways_scroll_at_phone_tablet_and_desktop_widths(inbox, width):
    from playwright.sync_api import expect

    page, url, ids = inbox
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{url}/inbox/c/{ids['Rita']}")
    expect(page.locator('[data-testid="message"]').first).to_be_visible()
    _no_sideways_scroll(page, width)
    composer = _box(page, '[data-testid="composer"]')
    assert composer["y"] + composer["height"] <= 844
    if width < 992:
        page.click('[data-testid="thread-details"]')
        expect(page.locator("#side")).to_be_visible()
        _no_sideways_scroll(page, width)
    else:
        # desktop: three columns side by side, no details button
        expect(page.locator("#side")).to_be_visible()
        expect(page.locator(".inbox-list")).to_be_visible()
        expect(page.locator("#thread-details")).to_be_hidden()
        assert _box(page, ".inbox-list")["x"] < composer["x"] < _box(page, "#side")["x"]
    assert page.js_errors == []
