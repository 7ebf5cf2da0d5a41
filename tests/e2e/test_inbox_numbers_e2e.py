"""Headless Chromium: one customer writes to two numbers of a client (sales and support).

The inbox lists two conversations under one contact, each labelled with its number; the
number filter keeps one; a conversation has its own URL (/inbox/c/<id>) that survives a
reload and the back button; the reply goes out from the conversation's number. At 390 px
the same flow works (screenshot in ``INBOX_NUMBERS_SCREENSHOT_DIR`` when set).
"""

from __future__ import annotations

import os
import re

import pytest
from test_inbox_e2e import PASSWORD, PHONE_ID, _flush_until, _login, inbox_live  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
CUSTOMER = "5511987003344"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


def _shot(page, name: str) -> None:
    folder = os.environ.get("INBOX_NUMBERS_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, name), full_page=False)


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_two_numbers_two_conversations_deep_link_and_reply_from_the_right_number(
    inbox_live,  # noqa: F811
    browser_page,
    create_client,
    create_member,
    create_whatsapp_credential,
    viewport,
):
    from playwright.sync_api import expect

    from clickpro.extensions import db
    from clickpro.models import Conversation, Message, Role

    url, sandbox = inbox_live
    tenant = create_client("Loja Dois Números")
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Ana Agente")
    create_whatsapp_credential(tenant, display_name="Vendas")
    support_account = sandbox.create_account(display_phone_number="+55 11 3000-0002")
    support = create_whatsapp_credential(tenant, support_account.public(), display_name="Suporte")
    page = browser_page
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    _login(page, url, agent.email)

    sandbox.simulate_inbound(PHONE_ID, CUSTOMER, text="Quero comprar um tênis", name="Rita")
    sandbox.simulate_inbound(
        support.phone_number_id, CUSTOMER, text="Meu pedido chegou errado", name="Rita"
    )
    assert sandbox.flush()
    rows = page.locator('[data-testid="conversation"]', has_text="Rita")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Meu pedido chegou errado")).to_contain_text("Suporte")
    expect(rows.filter(has_text="Quero comprar")).to_contain_text("Vendas")
    convs = {c.number_id: c.id for c in db.session.query(Conversation).all()}
    assert len(convs) == 2 and len({c.contact_id for c in db.session.query(Conversation)}) == 1

    # the number filter keeps only the support conversation (phone: behind the funnel)
    if viewport[0] < 768:
        page.click("#inbox-filters-toggle")
    page.select_option('[data-testid="number-filter"]', str(support.id))
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Meu pedido chegou errado")
    page.select_option('[data-testid="number-filter"]', "")
    expect(rows).to_have_count(2)

    # open sales, then support: each has its own URL and only its own thread
    rows.filter(has_text="Quero comprar").click()
    expect(page).to_have_url(re.compile(rf"/inbox/c/{convs[min(convs)]}$"))
    if viewport[0] < 768:  # phone: one pane at a time, back to the list first
        page.click('[data-testid="thread-back"]')
    rows.filter(has_text="Meu pedido").click()
    support_url = re.compile(rf"/inbox/c/{convs[support.id]}$")
    expect(page).to_have_url(support_url)
    thread = page.locator('[data-testid="message"]')
    expect(thread.filter(has_text="Meu pedido chegou errado")).to_have_count(1)
    expect(thread.filter(has_text="Quero comprar")).to_have_count(0)
    expect(page.locator("#thread-phone")).to_contain_text("Suporte")

    # a reload keeps the conversation open
    page.reload()  # (phone: the list, with the live indicator, is behind the conversation)
    page.wait_for_selector('#inbox-live[data-state="online"]', state="attached")
    expect(page).to_have_url(support_url)
    expect(thread.filter(has_text="Meu pedido chegou errado")).to_have_count(1)
    _shot(page, f"inbox-numbers-{viewport[0]}.png")

    # the reply goes out from the support number
    page.fill('[data-testid="composer"]', "Vamos trocar hoje mesmo.")
    page.click('[data-testid="send"]')
    expect(thread.filter(has_text="Vamos trocar hoje mesmo.")).to_have_count(1)

    def texts() -> list[dict]:
        return [s for s in sandbox.list_sends() if s["type"] == "text"]

    _flush_until(sandbox, lambda: bool(texts()), timeout=5)
    expect(page.locator("#composer-error")).to_have_text("")
    sent = texts()
    assert [s["phone_number_id"] for s in sent] == [support.phone_number_id]
    db.session.expire_all()
    row = db.session.query(Message).filter_by(direction="OUT", body="Vamos trocar hoje mesmo.")
    assert row.one().number_id == support.id

    # back: the sales conversation again, with its own thread
    page.go_back()
    if viewport[0] < 768:  # phone: back returns to the list; sales is one tap away
        expect(page).to_have_url(re.compile(r"/inbox/$"))
        rows.filter(has_text="Quero comprar").click()
    expect(page).to_have_url(re.compile(rf"/inbox/c/{convs[min(convs)]}$"))
    expect(thread.filter(has_text="Quero comprar")).to_have_count(1)
    expect(thread.filter(has_text="Vamos trocar")).to_have_count(0)
    _flush_until(sandbox, lambda: True, timeout=0.2)
    assert page.js_errors == []
