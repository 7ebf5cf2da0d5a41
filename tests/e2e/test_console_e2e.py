"""The agency console in Chromium: sort by a column, "Só com problemas", follow a link.

Screenshots (desktop 1280 px, phone 390 px) go to ``$H8_SHOTS`` when it is set.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from decimal import Decimal

from rq import Worker
from rq.utils import utcformat

from clickpro.extensions import db, redis_connection
from clickpro.models import Message, WebhookDelivery, WebhookEndpoint, WebhookEvent
from clickpro.models.base import utcnow

PASSWORD = "senha-segura-123"


def _shot(page, name: str) -> None:
    folder = os.environ.get("H8_SHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, name), full_page=True)


def test_console_in_the_browser(
    live_server, browser_page, create_user, create_client, create_whatsapp_credential,
    create_template, create_contact,
):  # fmt: skip
    root = create_user("root-console@example.com", is_super_admin=True)
    loja = create_client("Loja Centro")
    create_whatsapp_credential(
        loja, quality_rating="YELLOW", messaging_tier="TIER_10K", display_name="Vendas"
    )
    create_template(loja, "promo_natal", status="PAUSED")
    create_template(loja, "boleto", status="REJECTED")
    body = '{"quebrado": true}'
    db.session.add(
        WebhookEvent(client_id=loja.id, body=body, signature_ok=True, routed=True, attempts=5,
                     body_sha256=hashlib.sha256(body.encode()).hexdigest(), dead_at=utcnow(),
                     error="JSON inválido")
    )  # fmt: skip
    ok = create_client("Clínica Saúde")
    create_whatsapp_credential(
        ok,
        {"access_token": "t", "waba_id": "700", "phone_number_id": "701"},
        quality_rating="GREEN",
        display_name="Recepção",
    )
    sabor = create_client("Restaurante Sabor")
    broken = create_whatsapp_credential(
        sabor, {"access_token": "t", "waba_id": "800", "phone_number_id": "801"},
        quality_rating="GREEN", display_name="Delivery", last_error="Token expirado (190)",
    )  # fmt: skip
    broken.status = "INVALID"
    endpoint = WebhookEndpoint(client_id=sabor.id, url="https://erp.example/hook", events=[],
                               secret_enc="x", failures=6)  # fmt: skip
    db.session.add(endpoint)
    db.session.flush()
    db.session.add(WebhookDelivery(client_id=sabor.id, endpoint_id=endpoint.id, event="x",
                                   body="{}", status="failed", attempts=5))  # fmt: skip
    contact = create_contact(loja, phone="5511988887777")
    for _ in range(3):
        db.session.add(
            Message(client_id=loja.id, contact_id=contact.id, direction="OUT", author="AI",
                    status="READ", body="oi", ai_usage={"cost": 0.0125},
                    pricing_category="marketing", cost=Decimal("0.3125"),
                    cost_currency="BRL", delivered_at=utcnow())
        )  # fmt: skip
    for i in range(3):
        create_client(f"Agência Cliente {i}")
    db.session.commit()
    connection = redis_connection()
    alive = Worker(["webhooks", "ai"], connection=connection, name="web-worker-1")
    alive.register_birth()
    alive.heartbeat()
    alive.set_state("idle")
    silent = Worker(["campaigns"], connection=connection, name="campaign-worker-1")
    silent.register_birth()
    connection.hset(silent.key, "last_heartbeat", utcformat(utcnow() - timedelta(hours=1)))
    try:
        _check_console(live_server, browser_page, root)
    finally:
        alive.register_death()
        silent.register_death()


def _check_console(live_server, page, root) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", root.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/admin/console/")
    table = page.locator("#console-clients")
    expect(table).to_be_visible()
    first = table.locator("tbody tr").first
    expect(first).to_contain_text("Loja Centro")  # most problems first
    expect(first).to_contain_text("Média")
    expect(first).to_contain_text("10.000/dia")
    expect(first).to_contain_text("1 pausado(s)")
    expect(first).to_contain_text("R$\xa00,94")  # 3 × 0,3125 delivered
    expect(page.locator("#console-queues")).to_contain_text("webhooks")
    expect(page.locator("[data-worker=web-worker-1]")).not_to_contain_text("sem sinal")
    expect(page.locator("[data-worker=campaign-worker-1]")).to_contain_text("sem sinal")
    _shot(page, "console_desktop.png")

    page.click("a[data-sort=name]")
    expect(table.locator("tbody tr").first).to_contain_text("Agência Cliente 0")
    page.check("#only-problems")
    page.wait_for_url("**problems=1**")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("credencial inválida")
    expect(table).not_to_contain_text("Clínica Saúde")
    _shot(page, "console_only_problems.png")

    page.click("a[data-template-status=PAUSED]")
    expect(page.locator("body")).to_contain_text("promo_natal")
    expect(page.locator("body")).not_to_contain_text("boleto")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/admin/console/")
    expect(table).to_be_visible()
    _shot(page, "console_phone.png")
