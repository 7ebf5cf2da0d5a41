"""The knowledge base page in Chromium (desktop and phone): an admin uploads a price
list and adds an FAQ entry, both end "pronto", and removes one. Screenshots under
``/tmp/h4shots`` (or ``H4_SHOTS``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clickpro.crypto import encrypt, last4
from clickpro.models import OpenAICredential

PASSWORD = "senha-segura-123"  # tests/conftest.py create_user's default
SHOTS = os.environ.get("H4_SHOTS", "/tmp/h4shots")
API_KEY = "sk-test-clickpro-knowledge-0001"
PRICES = "Tabela de preços\nCamiseta básica custa 49 reais.\nEntrega em Campinas: três dias.\n"


@pytest.mark.e2e
def test_knowledge_page_upload_faq_delete(
    app, sandbox, live_server, browser_page, create_client, create_whatsapp_credential, db,
    tmp_path,
):  # fmt: skip
    tenant = create_client("Loja Conhecimento")
    create_whatsapp_credential(tenant)
    db.session.add(OpenAICredential(
        client_id=tenant.id, api_key_enc=encrypt(API_KEY), key_last4=last4(API_KEY),
        assistant_id="cpa_kb0001", model="gpt-4.1-mini", status="VALID",
        instructions="", context_messages=12, handoff_keywords=["atendente"], options={}))  # fmt: skip
    db.session.commit()
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", tenant.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/ai/knowledge/")
    prices = tmp_path / "precos.txt"
    prices.write_text(PRICES, encoding="utf-8")
    page.set_input_files("[data-testid=upload-form] input[type=file]", str(prices))
    page.click("[data-testid=upload-form] button")
    page.wait_for_selector("tr[data-document] >> text=precos.txt")
    page.fill("[data-testid=faq-form] input[name=question]", "Vocês abrem no domingo?")
    page.fill("[data-testid=faq-form] textarea[name=answer]", "Não, de segunda a sábado.")
    page.click("[data-testid=faq-form] button")
    page.wait_for_selector("tr[data-document] >> text=Vocês abrem no domingo?")
    statuses = page.locator("[data-testid=status]").all_inner_texts()
    assert len(statuses) == 2 and all("pronto" in s for s in statuses)
    # A wrong file: the reason is shown, nothing added.
    fake = tmp_path / "falso.pdf"
    fake.write_bytes(b"isto nao e pdf")
    page.set_input_files("[data-testid=upload-form] input[type=file]", str(fake))
    page.click("[data-testid=upload-form] button")
    page.wait_for_selector("text=não é um PDF válido")
    assert page.locator("tr[data-document]").count() == 2
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/knowledge-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=f"{SHOTS}/knowledge-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    row = page.locator("tr[data-document]", has_text="precos.txt")
    row.locator("button", has_text="Remover").click()
    page.wait_for_selector("#confirm-modal.show")
    page.click("[data-testid=confirm-ok]")
    page.wait_for_selector("text=Documento removido da base de conhecimento.")
    assert page.locator("tr[data-document]").count() == 1
    assert not sandbox.openai_files or all(
        f["filename"] != "precos.txt" for f in sandbox.openai_files.values()
    )
