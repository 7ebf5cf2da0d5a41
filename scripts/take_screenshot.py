"""Take the screenshot set of docs/screenshots/ in headless Chromium (demo data, sandbox).

    .venv/bin/python scripts/take_screenshot.py [output-dir]

Builds the embedded app on a throwaway SQLite database, seeds the demo (as `clickpro run`
does) plus a few customer messages through the inbound webhook path, serves it on a free
loopback port, logs in as the demo admin through the form and writes:

* dashboard.png, campaigns.png                       (1280×800)
* inbox-desktop.png, inbox-conversation-desktop.png  (1280×800)
* inbox-tablet.png                                   (768×1024, a conversation open)
* phone-list.png, phone-conversation.png, phone-details.png  (390×844, 2× scale)

docs/screenshot.png (the README's picture) is a copy of inbox-conversation-desktop.png.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}

# (contact index in demo_people(), minutes ago, text): customers who wrote in
CUSTOMER_MESSAGES = [
    (0, 42, "Bom dia! Meu pedido #4821 ainda não chegou, consegue ver pra mim?"),
    (0, 40, "Comprei na sexta-feira, o prazo era de 3 dias úteis."),
    (1, 25, "Vocês entregam em Campinas?"),
    (2, 12, "Quero trocar o tamanho da camiseta, como faço?"),
    (3, 3, "Obrigado pelo atendimento de ontem 👍"),
]
REPLY = "Oi! Já localizei o pedido #4821: ele sai hoje para entrega e chega amanhã até as 18h."


def seed_conversations(client_id: int, phone_number_id: str) -> str:
    """A few customers' messages, stored by the inbound webhook path (Meta's shape);
    the name of the first customer (the conversation the pictures open)."""
    from clickpro.extensions import db
    from clickpro.services.demo import demo_people
    from clickpro.services.webhook.inbound import ingest_messages

    people = demo_people()
    now = int(time.time())
    for n, (index, minutes, text) in enumerate(CUSTOMER_MESSAGES):
        name, phone, _city = people[index]
        wa_id = phone.lstrip("+")
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": phone_number_id},
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [
                {"from": wa_id, "id": f"wamid.SHOT-{n:04d}", "timestamp": str(now - minutes * 60),
                 "type": "text", "text": {"body": text}}
            ],
        }  # fmt: skip
        ingest_messages(client_id, value)
    db.session.commit()
    return people[CUSTOMER_MESSAGES[0][0]][0]


def login(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def open_inbox(page, base: str, path: str = "/inbox/") -> None:
    page.goto(f"{base}{path}")
    page.wait_for_selector('[data-testid="conversation"]')
    page.wait_for_timeout(400)  # the live indicator connects


def settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def main(outdir: Path) -> None:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from clickpro import create_app
    from clickpro.extensions import db
    from clickpro.services.conversations import first_number
    from clickpro.services.demo import seed_demo

    outdir.mkdir(parents=True, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="clickpro-shot-")
    for name in ("DATABASE_URL", "REDIS_URL", "CLICKPRO_ENV"):
        os.environ.pop(name, None)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/shot.db", "RQ_ASYNC": False})
    with app.app_context():
        db.create_all()
        demo = seed_demo()
        if demo is None:
            raise SystemExit("the demo is disabled (no sandbox): nothing to photograph")
        from clickpro.models import User

        user = db.session.query(User).filter_by(email=demo.email).one()
        client_id = user.memberships[0].client_id
        number = first_number(client_id)
        if number is None:
            raise SystemExit("the demo client has no WhatsApp number")
        customer = seed_conversations(client_id, number.phone_number_id)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    written: list[Path] = []

    def shot(page, name: str) -> None:
        path = outdir / name
        page.screenshot(path=str(path), full_page=False)
        written.append(path)

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            desktop = browser.new_context(viewport=DESKTOP, locale="pt-BR")
            page = desktop.new_page()
            login(page, base, demo.email, demo.password)
            settle(page)
            shot(page, "dashboard.png")
            page.goto(f"{base}/campaigns/")
            settle(page)
            shot(page, "campaigns.png")

            open_inbox(page, base)
            shot(page, "inbox-desktop.png")
            # the customer with two messages: answer, as an agent does
            page.locator('[data-testid="conversation"]', has_text=customer).first.click()
            page.wait_for_selector('[data-testid="message"]')
            page.fill('[data-testid="composer"]', REPLY)
            page.click('[data-testid="send"]')
            page.locator('[data-testid="message"]', has_text="sai hoje").wait_for()
            settle(page)
            conversation = page.url.split("/inbox", 1)[1]
            shot(page, "inbox-conversation-desktop.png")

            tablet = browser.new_context(viewport=TABLET, locale="pt-BR")
            page = tablet.new_page()
            login(page, base, demo.email, demo.password)
            open_inbox(page, base, f"/inbox{conversation}")
            page.wait_for_selector('[data-testid="message"]')
            settle(page)
            shot(page, "inbox-tablet.png")

            phone = browser.new_context(
                viewport=PHONE,
                locale="pt-BR",
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
            )
            page = phone.new_page()
            login(page, base, demo.email, demo.password)
            open_inbox(page, base)
            shot(page, "phone-list.png")
            page.locator('[data-testid="conversation"]', has_text=customer).first.click()
            page.wait_for_selector('[data-testid="message"]')
            settle(page)
            shot(page, "phone-conversation.png")
            page.click('[data-testid="thread-details"]')
            settle(page)
            shot(page, "phone-details.png")
            browser.close()
    finally:
        server.shutdown()
    readme_picture = outdir / "inbox-conversation-desktop.png"
    if readme_picture.exists() and outdir.resolve() == Path("docs/screenshots").resolve():
        shutil.copyfile(readme_picture, outdir.parent / "screenshot.png")
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
