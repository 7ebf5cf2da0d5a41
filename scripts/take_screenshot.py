"""Take the screenshot set of docs/screenshots/ in headless Chromium (demo data, sandbox).

    .venv/bin/python scripts/take_screenshot.py [output-dir]

Builds the embedded app on a throwaway SQLite database, seeds the demo (as `clickpro run`
does) plus a few customer messages through the inbound webhook path, serves it on a free
loopback port, logs in as the demo admin through the form and writes:

* dashboard.png, campaigns.png                       (1280×800)
* inbox-desktop.png, inbox-conversation-desktop.png  (1280×800)
* inbox-tablet.png                                   (768×1024, a conversation open)
* phone-list.png, phone-conversation.png, phone-details.png  (390×844, 2× scale)
* inbox-media-desktop.png, inbox-lightbox-desktop.png  (a customer's photo and voice note
  with its transcript; the photo enlarged), phone-media.png  (the same at 390×844)
* newconv-template-desktop.png, phone-newconv-template.png  ("Nova conversa" to a typed
  number: the template with its variables filled and the preview)
* interactive-list-desktop.png  (a list message sent and the customer's choice as a reply)
* snooze-menu-desktop.png, phone-snooze-menu.png  (the snooze presets)

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


MEDIA_CUSTOMER = 1  # demo_people() index of the customer who sends a photo and a voice note
LIST_CUSTOMER = 2  # ... and of the one who gets a list message and chooses from it
VOICE_TEXT = "Oi, é a foto do defeito. O zíper travou no segundo dia, dá pra trocar?"


def _png(width: int = 480, height: int = 360) -> bytes:
    """A decodable PNG: a soft gradient with a darker band (a 'photo' for the thumbnail)."""
    from clickpro.sandbox import sample_media

    return sample_media.png(
        width,
        height,
        lambda x, y: (
            40 + x * 150 // width,
            90 + y * 100 // height,
            160 - (40 if 140 < y < 220 else 0),
        ),
    )


def _voice_note(text: str) -> bytes:
    """A real 6 s OGG/Opus note; the sandbox's transcriber 'hears' ``text``."""
    from clickpro.sandbox import sample_media

    return sample_media.voice_note(text, 6.0, hz=330, volume=6000)


def seed_media(app, phone_number_id: str) -> str:
    """A customer sends a photo (with a caption) and a voice note through the embedded
    sandbox (signed webhooks; the fetch and transcription jobs run inline); the path of
    their conversation."""
    from clickpro.services.demo import demo_people

    state = app.extensions["clickpro.sandbox"].extensions["sandbox"]
    name, phone, _city = demo_people()[MEDIA_CUSTOMER]
    wa_id = phone.lstrip("+")
    photo = state.add_media(_png(), "image/png")
    note = state.add_media(_voice_note(VOICE_TEXT), "audio/ogg")
    for message in (
        {
            "type": "image",
            "image": {
                "id": photo,
                "mime_type": "image/png",
                "caption": "Olha o zíper, travou no segundo dia",
            },
        },
        {
            "type": "audio",
            "audio": {"id": note, "mime_type": "audio/ogg; codecs=opus", "voice": True},
        },
    ):
        state.simulate_inbound(phone_number_id, wa_id, message=message, name=name)
        state.flush()
    wait_for(app, "SELECT count(*) FROM message_media WHERE transcript_status = 'DONE'")
    return conversation_of(app, phone)


def conversation_of(app, phone: str) -> str:
    """The inbox path (``/c/<id>``) of the demo customer with this phone."""
    import sqlalchemy as sa

    from clickpro.extensions import db
    from clickpro.models import Contact, Conversation

    with app.app_context():
        conversation_id = db.session.scalar(
            sa.select(Conversation.id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Contact.phone_e164 == phone)
        )
    return f"/c/{conversation_id}"


def wait_for(app, sql: str, timeout: float = 90.0) -> None:
    """Until ``sql`` counts a row (the sandbox delivers its webhooks from a thread)."""
    import sqlalchemy as sa

    from clickpro.extensions import db

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.scalar(sa.text(sql)):
                return
        time.sleep(0.3)
    raise SystemExit(f"timed out waiting for: {sql}")


def login(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def open_inbox(page, base: str, path: str = "/inbox/") -> None:
    page.goto(f"{base}{path}")
    page.wait_for_selector('[data-testid="conversation"]', state="attached")
    page.wait_for_timeout(400)  # the live indicator connects


def settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def demo_people_phone(index: int) -> str:
    from clickpro.services.demo import demo_people

    return demo_people()[index][1]


def send_list_and_reply(page, base: str, state, phone_number_id: str, path: str) -> None:
    """The agent sends a list message to a customer inside the 24 h window; the customer
    picks a row (a list_reply webhook quoting it)."""
    from clickpro.services.demo import demo_people

    name, phone, _city = demo_people()[LIST_CUSTOMER]
    open_inbox(page, base, f"/inbox{path}")
    page.locator('[data-testid="window-badge"]:not(:empty)').wait_for()
    page.click('[data-testid="interactive-open"]')
    page.click('[data-testid="ikind-list"]')
    page.fill('[data-testid="interactive-body"]', "Claro! Qual tamanho você quer no lugar?")
    page.fill('[data-testid="ilist-button"]', "Ver tamanhos")
    page.fill('[data-testid="ilist-rows"]', "P | Busto 88 cm\nM | Busto 96 cm\nG | Busto 104 cm")
    page.click('[data-testid="interactive-send"]')
    page.locator('[data-testid="message"]', has_text="Qual tamanho").wait_for()
    sent = [s for s in state.list_sends(phone_number_id) if s["type"] == "interactive"][-1]
    state.simulate_inbound(
        phone_number_id, phone.lstrip("+"), name=name, context_id=sent["wamid"],
        message={"type": "interactive", "interactive": {"type": "list_reply",
                 "list_reply": {"id": "row_2", "title": "M", "description": "Busto 96 cm"}}},
    )  # fmt: skip
    state.flush()
    page.locator('[data-testid="reply-chosen"]').wait_for(timeout=90_000)
    settle(page)


def new_conversation(page, base: str) -> None:
    """ "Nova conversa" to a typed number: outside any window, the template with its
    variables (the first pre-filled from the name) and the preview."""
    open_inbox(page, base)
    page.click('[data-testid="newconv-open"]')
    page.fill('[data-testid="newconv-to"]', "(21) 99876-5432")
    page.click('[data-testid="newconv-typed"]')
    page.fill("#newconv-name", "Caio Lima")
    page.locator('[data-testid="newconv-preview"]').wait_for()
    variables = page.locator('[data-testid="newconv-var"]')
    for n in range(variables.count()):
        if not variables.nth(n).input_value():
            variables.nth(n).fill("A-778")
    settle(page)


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
        phone_number_id = number.phone_number_id
    media_conversation = seed_media(app, phone_number_id)
    list_conversation = conversation_of(app, demo_people_phone(LIST_CUSTOMER))
    sandbox_state = app.extensions["clickpro.sandbox"].extensions["sandbox"]
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
            page.click('[data-testid="snooze"]')
            page.locator(
                '[data-testid="snooze-menu"] [data-preset="tomorrow_9"] [data-local]'
            ).wait_for()
            shot(page, "snooze-menu-desktop.png")
            page.keyboard.press("Escape")

            open_inbox(page, base, f"/inbox{media_conversation}")
            page.locator('[data-testid="media-transcript"]').wait_for()
            page.wait_for_function(
                "() => { const i = document.querySelector('[data-testid=media-thumb] img');"
                " return i && i.complete && i.naturalWidth > 0; }"
            )
            page.locator('[data-testid="media-transcript"]').scroll_into_view_if_needed()
            settle(page)
            shot(page, "inbox-media-desktop.png")
            page.click('[data-testid="media-thumb"]')
            page.locator('[data-testid="media-lightbox"] img').wait_for()
            settle(page)
            shot(page, "inbox-lightbox-desktop.png")
            page.keyboard.press("Escape")

            send_list_and_reply(page, base, sandbox_state, phone_number_id, list_conversation)
            shot(page, "interactive-list-desktop.png")

            new_conversation(page, base)
            shot(page, "newconv-template-desktop.png")

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
            open_inbox(page, base, f"/inbox{media_conversation}")
            page.locator('[data-testid="media-transcript"]').scroll_into_view_if_needed()
            settle(page)
            shot(page, "phone-media.png")
            page.click('[data-testid="snooze"]')
            page.locator(
                '[data-testid="snooze-menu"] [data-preset="tomorrow_9"] [data-local]'
            ).wait_for()
            shot(page, "phone-snooze-menu.png")
            page.keyboard.press("Escape")
            new_conversation(page, base)
            shot(page, "phone-newconv-template.png")
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
