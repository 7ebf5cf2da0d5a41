"""Headless Chromium: build a campaign through the wizard, start it, watch the progress
bar, pause and resume on the way, and see it reach 100% (COMPLETED).

The app is served over HTTP with RQ asynchronous and a campaigns worker thread (the
embedded runtime's shape); Meta is the sandbox on a loopback port.
"""

from __future__ import annotations

import os
import re
import threading
import time

import pytest
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-segura-123"  # tests/conftest.py's default
N_CONTACTS = 40
RATE = 8
BODY = [
    {
        "type": "BODY",
        "text": "Olá {{1}}, seu cupom é {{2}}!",
        "example": {"body_text": [["Maria", "X1"]]},
    },
]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture
def campaign_sandbox():
    from clickpro.sandbox import SandboxServer

    server = SandboxServer({"status_mode": "off", "template_review_delay_s": 0.0}).start()
    yield server
    server.stop()


@pytest.fixture
def live_app(app, campaign_sandbox):
    """The test app, asynchronous RQ + a campaigns worker thread, Meta = sandbox port."""
    from clickpro.tasks import QUEUE_CAMPAIGNS, make_worker

    app.config.update(META_GRAPH_URL=campaign_sandbox.graph_url, META_HTTP_TRANSPORT=None, RQ_ASYNC=True,
                      WTF_CSRF_ENABLED=True)  # fmt: skip
    app.extensions.pop("clickpro.meta_http", None)
    stop = threading.Event()
    worker = make_worker(app, (QUEUE_CAMPAIGNS,), embedded=True)

    def run() -> None:
        while not stop.is_set():
            worker.work(burst=True, logging_level="WARNING")
            time.sleep(0.1)

    thread = threading.Thread(target=run, name="campaign-worker", daemon=True)
    thread.start()
    yield app
    stop.set()
    thread.join(timeout=30)


@pytest.fixture
def browser(browser_page):
    return browser_page


def _seed(create_client, create_whatsapp_credential, create_template, campaign_sandbox):
    from clickpro.extensions import db
    from clickpro.models import Contact, ContactList, ContactListMember

    tenant = create_client("Loja E2E")
    create_whatsapp_credential(tenant)
    template = create_template(tenant, name="oferta", components=BODY)
    account = campaign_sandbox.state.account_for_number("100000000000011")
    body, status = campaign_sandbox.state.templates.create(
        account,
        {"name": "oferta", "language": "pt_BR", "category": "MARKETING", "components": BODY},
    )
    assert status == 200, body
    lst = ContactList(client_id=tenant.id, name="Clientes VIP")
    db.session.add(lst)
    db.session.flush()
    for i in range(N_CONTACTS):
        contact = Contact(client_id=tenant.id, phone_e164=f"+5511977{i:06d}", wa_id=f"5511977{i:06d}",
                          name=f"Cliente {i}", attributes={"cupom": f"VIP{i}"})  # fmt: skip
        db.session.add(contact)
        db.session.flush()
        db.session.add(ContactListMember(list_id=lst.id, contact_id=contact.id))
    db.session.commit()
    return tenant, template, lst


def _wait(predicate, timeout: float = 15.0) -> None:
    """Poll from Python (the app's CSP forbids Playwright's string-evaluated waits)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def _status(page) -> str:
    """The raw status (the badge shows it translated, clickpro/labels.py)."""
    return page.get_attribute("[data-testid=campaign-status] .badge", "data-status") or ""


def _percent(page) -> float:
    return float(page.inner_text("[data-testid=progress-bar]").rstrip("%") or 0)


def test_wizard_start_pause_resume_complete(live_server, browser, create_client, create_whatsapp_credential,
                                            create_template, campaign_sandbox):  # fmt: skip
    tenant, template, lst = _seed(
        create_client, create_whatsapp_credential, create_template, campaign_sandbox
    )
    page = browser
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/campaigns")
    page.click("[data-testid=new-campaign]")
    page.fill("#name", "Promoção VIP")
    page.select_option("#template_id", str(template.id))
    page.wait_for_selector("#var-body-1")
    page.check(f"#list-{lst.id}")
    page.fill("#var-body-1", "{{contact.cupom}}")
    expect(page.locator("[data-testid=audience-count]")).to_contain_text(
        "40 contato(s) vão receber"
    )
    expect(page.locator("[data-testid=sample-preview]")).to_contain_text(
        "Olá Cliente 0, seu cupom é VIP0"
    )
    page.fill("#rate_mps", str(RATE))
    page.click("[data-testid=save-campaign]")
    page.wait_for_selector("[data-testid=review-audience]")
    assert "40 contato(s) vão receber" in page.inner_text("[data-testid=review-audience]")
    page.click("[data-testid=action-start]")
    _wait(lambda: _percent(page) >= 20)
    page.click("[data-testid=action-pause]")
    _wait(lambda: _status(page) == "PAUSED")
    assert page.inner_text("[data-testid=campaign-status] .badge") == "Pausada"
    time.sleep(1.0)
    sent_at_pause = len(campaign_sandbox.state.list_sends())
    held = _percent(page)
    time.sleep(2.0)
    assert (
        len(campaign_sandbox.state.list_sends()) == sent_at_pause
    )  # nothing goes out while paused
    assert _percent(page) == held < 100
    page.click("[data-testid=action-resume]")
    _wait(lambda: _status(page) == "COMPLETED", timeout=30)
    assert page.inner_text("[data-testid=campaign-status] .badge") == "Concluída"
    assert page.inner_text("[data-testid=progress-bar]") == "100%"
    assert page.inner_text("[data-counter=sent]") == str(N_CONTACTS)
    sends = campaign_sandbox.state.list_sends()
    assert len(sends) == N_CONTACTS and len({s["callback_data"] for s in sends}) == N_CONTACTS
    assert re.search(r"Promoção VIP", page.content())
