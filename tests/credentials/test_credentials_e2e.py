"""In Chromium: an admin connects WhatsApp numbers from the credentials page (sandbox as
Meta), adds a second one and removes it through the confirm dialog."""

from __future__ import annotations

import os
import threading

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
TOKEN = "EAAGe2eSecretToken000QWER"
PASSWORD = "senha-segura-123"  # tests/conftest.py's default

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(app, sandbox):
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page()
        tab.set_default_timeout(10_000)
        yield tab
        browser.close()


def test_admin_connects_whatsapp_in_the_browser(served, page, sandbox, create_client):
    account = sandbox.create_account(access_token=TOKEN, verified_name="Loja E2E")
    tenant = create_client("Loja E2E")
    page.goto(f"{served}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{served}/credentials")

    form = page.locator("[data-testid=whatsapp-form]")
    form.locator("input[name='wa-access_token']").fill("EAAG token com espaço")
    form.locator("input[name='wa-waba_id']").fill(account.waba_id)
    form.locator("input[name='wa-phone_number_id']").fill(account.phone_number_id)
    form.locator("button[type=submit]").click()
    assert "espaços ou quebras de linha" in page.content()

    form = page.locator("[data-testid=whatsapp-form]")
    form.locator("input[name='wa-access_token']").fill(f"  {TOKEN}  ")  # pasted with spaces
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-status=VALID]")
    html = page.content()
    assert "Loja E2E" in html and "…QWER" in html
    assert TOKEN not in html
    assert page.input_value("input[name='wa-access_token']") == ""


def test_admin_adds_a_second_number_and_removes_it(served, page, sandbox, create_client):
    first = sandbox.create_account(access_token=TOKEN, verified_name="Loja Vendas")
    second = sandbox.create_account(
        access_token="EAAGe2eSecondNumber0SUP", verified_name="Loja Sup"
    )
    tenant = create_client("Loja Dois")
    page.goto(f"{served}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    for account, name in ((first, "Vendas"), (second, "Suporte")):
        page.goto(f"{served}/credentials")
        form = page.locator("[data-testid=whatsapp-form]")
        form.locator("input[name='wa-display_name']").fill(name)
        form.locator("input[name='wa-access_token']").fill(account.access_token)
        form.locator("input[name='wa-waba_id']").fill(account.waba_id)
        form.locator("input[name='wa-phone_number_id']").fill(account.phone_number_id)
        form.locator("button[type=submit]").click()
        page.wait_for_selector(f"[data-testid=number-row] >> text={name}")
    assert page.locator("[data-testid=number-row]").count() == 2

    # The number's page must have run its scripts (confirm.js) before Remover is pressed:
    # a click right after the link's navigation commits, under load, submits unasked.
    with page.expect_navigation(wait_until="load"):
        row = page.locator("[data-testid=number-row]").nth(1)
        row.locator("[data-testid=edit-number]").click()
    page.wait_for_function("window.ClickProConfirm === true")
    page.click("[data-testid=archive]")
    modal = page.locator("#confirm-modal")
    modal.wait_for(state="visible")
    assert "Remover o número Suporte?" in modal.inner_text()
    page.click("[data-testid=confirm-ok]")
    page.wait_for_selector("[data-testid=archived-numbers]")
    assert page.locator("[data-testid=number-row]").count() == 1
    assert "Vendas" in page.locator("[data-testid=number-row]").inner_text()
