"""Headless Chromium: upload a CSV, map columns, watch the progress reach done, download
the rejected-rows report."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]

PASSWORD = "senha-segura-123"  # tests/conftest.py create_user's default
CSV = (
    "Nome;Telefone;Cidade\r\n"
    + "".join(f"Pessoa {i};(11) 9{8000_0000 + i};São Paulo\r\n" for i in range(12))
    + "Sem número;;Rio\r\nCurto;123;Rio\r\n"
)


@pytest.fixture
def live_app(app, tmp_path, monkeypatch):
    """The import job runs in a background thread a moment after it is started, in small
    batches, so the page has to poll the progress JSON to see it finish."""
    from clickpro.services.contacts.imports import service

    app.config.update(IMPORT_UPLOAD_DIR=str(tmp_path / "uploads"), IMPORT_BATCH_SIZE=3)
    threads: list[threading.Thread] = []

    def start_later(import_id: int):
        def run():
            time.sleep(1.0)
            with app.app_context():
                service.run_import(import_id)

        thread = threading.Thread(target=run, daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(service, "start_import", start_later)
    yield app
    for thread in threads:
        thread.join(timeout=10)


def test_upload_map_progress_and_rejected_report(
    live_server, browser_page, create_client, tmp_path
):
    from playwright.sync_api import expect

    tenant = create_client("Agência Sol")
    source = tmp_path / "planilha.csv"
    source.write_bytes(CSV.encode("cp1252"))
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")

    page.goto(f"{live_server}/contacts")
    page.click("[data-testid=import-link]")
    page.set_input_files("input[name=file]", str(source))
    page.fill("input[name=list_name]", "Feira de maio")
    page.click("[data-testid=upload-submit]")

    expect(page.locator("[data-testid=preview-table]")).to_contain_text("São Paulo")
    expect(page.locator("#phone")).to_have_value("1")  # guessed from the header
    expect(page.locator("#name")).to_have_value("0")
    expect(page.locator("input[name=attr_2]")).to_have_value("cidade")
    expect(page.locator("input[name=attr_1]")).to_be_disabled()  # the phone column
    page.click("[data-testid=start-import]")

    box = page.locator("[data-testid=import-progress]")
    expect(box).to_have_attribute("data-status", "queued")
    expect(box).to_have_attribute("data-status", "done", timeout=15_000)  # by polling
    expect(page.locator("#import-imported")).to_have_text("12")
    expect(page.locator("#import-rejected")).to_have_text("2")
    expect(page.locator("#import-bar")).to_have_text("100%")
    expect(page.locator("[data-testid=import-summary]")).to_be_visible()

    with page.expect_download() as download_info:
        page.click("[data-testid=rejected-link]")
    download = download_info.value
    assert download.suggested_filename.endswith("-rejeitadas.csv")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "linha;Nome;Telefone;Cidade;motivo"
    assert "14;Sem número;;Rio;Telefone vazio" in text and "15;Curto;123;Rio;" in text

    page.goto(f"{live_server}/contacts?q=pessoa+11")
    expect(page.locator("[data-testid=contacts-table]")).to_contain_text("+55 11 98000-0011")
