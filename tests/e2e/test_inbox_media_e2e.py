"""Headless Chromium: inbound media in the inbox (h1).

The agent has the conversation open; the customer sends a photo and a voice note
through the sandbox's control API (``/_control/media`` + ``/inbound``; ``/_sandbox/_control/…`` when embedded, signed
webhooks to the live server). The bubbles appear live, are replaced live when the fetch
and the transcription jobs finish (``message:update``): a thumbnail that enlarges (Esc
closes), an audio player with its duration and the transcript under it, a document with
its name, size and type. ``INBOX_MEDIA_SHOTS=dir`` saves screenshots at 1280 and 390 px.
"""

from __future__ import annotations

import os
import time

import httpx
import pytest

from clickpro.crypto import encrypt, last4

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-e2e-media-1"
CUSTOMER = "5511987003344"
PNID = "100000000000011"


def opus_note(text: str, seconds: float = 3.0, pre_skip: int = 312) -> bytes:
    """An OGG/Opus-shaped voice note (see tests/media/media_helpers.py): its last granule
    gives ``seconds``; the sandbox's fake transcriber "hears" the text after ``SAY:``."""
    head = (
        b"OggS\x00\x02" + (0).to_bytes(8, "little") + b"\x00" * 13 + b"OpusHead\x01\x01"
        + pre_skip.to_bytes(2, "little") + (48000).to_bytes(4, "little") + b"\x00\x00\x00"
    )  # fmt: skip
    granule = int(seconds * 48000) + pre_skip
    audio = b"OggS\x00\x04" + granule.to_bytes(8, "little") + b"\x00" * 13 + b"\x11" * 40
    return head + audio + b"SAY:" + text.encode()


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


def _png(width: int = 160, height: int = 120) -> bytes:
    """A real (decodable) PNG: a two-colour gradient, so the thumbnail is visible."""
    import struct
    import zlib

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, 120, y * 255 // height)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def media_live(app, live_server, tmp_path):
    from clickpro.sandbox import SandboxServer

    sandbox = SandboxServer(
        {
            "webhook_delivery": "manual",
            "webhook_url": f"{live_server}/webhook",
            "app_secret": app.config["META_APP_SECRET"],
        }
    ).start()
    app.config.update(
        META_GRAPH_URL=sandbox.graph_url,
        META_HTTP_TRANSPORT=None,
        OPENAI_BASE_URL=sandbox.openai_url,
        OPENAI_HTTP_TRANSPORT=None,
        MEDIA_DIR=str(tmp_path / "media"),
    )
    for key in ("clickpro.meta_http", "clickpro.openai_http", "clickpro.media_store"):
        app.extensions.pop(key, None)
    yield live_server, sandbox
    sandbox.stop()


def _control(sandbox, path: str, **kwargs) -> dict:
    response = httpx.post(f"{sandbox.url}/_control/{path}", timeout=10, **kwargs)
    assert response.status_code in (201, 202), response.text
    return response.json()


def _send(sandbox, message: dict | None = None, text: str | None = None) -> None:
    body = {"phone_number_id": PNID, "from": CUSTOMER, "name": "Lia Cliente"}
    body.update({"message": message} if message else {"text": text})
    _control(sandbox, "inbound", json=body)
    deadline = time.monotonic() + 10
    while not sandbox.state.flush() and time.monotonic() < deadline:
        time.sleep(0.05)


def _media(sandbox, content: bytes, mime: str) -> str:
    return _control(sandbox, "media", content=content, headers={"Content-Type": mime})["id"]


def test_inbound_image_voice_note_and_document_in_the_inbox(
    media_live, browser_page, create_client, create_member, create_whatsapp_credential, db
):
    from playwright.sync_api import expect

    from clickpro.models import OpenAICredential, Role

    url, sandbox = media_live
    tenant = create_client("Loja Mídia")
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Ana Agente")
    create_whatsapp_credential(tenant)
    db.session.add(
        OpenAICredential(
            client_id=tenant.id,
            api_key_enc=encrypt("sk-test-e2e-media-01"),
            key_last4=last4("sk-test-e2e-media-01"),
            model="gpt-4.1-mini",
            status="VALID",
        )
    )
    db.session.commit()
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/login")
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{url}/inbox/")
    page.wait_for_selector('#inbox-live[data-state="online"]')

    _send(sandbox, text="Oi! Vou mandar a foto do modelo.")
    page.locator('[data-testid="conversation"]', has_text="Lia Cliente").click()
    expect(page.locator('[data-testid="message"]', has_text="foto do modelo")).to_be_visible()

    # The photo: live, a thumbnail (the real image decoded), caption under it.
    image_id = _media(sandbox, _png(), "image/png")
    _send(sandbox, {"type": "image", "image": {"id": image_id, "mime_type": "image/png",
                                               "caption": "Esse modelo em azul"}})  # fmt: skip
    thumb = page.locator('[data-testid="media-thumb"] img')
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=media-thumb] img');"
        " return i && i.complete && i.naturalWidth === 160; }"
    )
    expect(page.locator('[data-testid="message"]', has_text="Esse modelo em azul")).to_have_count(1)
    expect(page.locator('[data-testid="message"]', has_text="[Imagem]")).to_have_count(0)

    # Click → lightbox; Esc closes it.
    page.locator('[data-testid="media-thumb"]').click()
    lightbox = page.locator('[data-testid="media-lightbox"]')
    expect(lightbox).to_be_visible()
    if shots := os.environ.get("INBOX_MEDIA_SHOTS"):
        page.screenshot(path=f"{shots}/lightbox-1280.png")
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()

    # The voice note: a player with its duration, then the transcript (no reload).
    note_id = _media(sandbox, opus_note("Quero em azul, tamanho M", seconds=7.2), "audio/ogg")
    _send(sandbox, {"type": "audio", "audio": {"id": note_id, "mime_type": "audio/ogg; codecs=opus",
                                               "voice": True}})  # fmt: skip
    player = page.locator('[data-testid="media-audio"]')
    expect(player).to_be_visible()
    expect(player).to_contain_text("Mensagem de voz")
    expect(player).to_contain_text("0:07")
    expect(player.locator("audio[controls]")).to_have_count(1)
    transcript = page.locator('[data-testid="media-transcript"]')
    expect(transcript).to_contain_text("Transcrição")
    expect(transcript).to_contain_text("Quero em azul, tamanho M")
    duration = page.evaluate(
        "() => new Promise((ok) => { const a = document.querySelector('[data-testid=media-audio]"
        " audio'); if (a.readyState >= 1) ok(a.duration); else a.onloadedmetadata = () =>"
        " ok(a.duration); a.onerror = () => ok(-1); setTimeout(() => ok(-2), 3000); })"
    )
    assert duration != -1, "the browser could load the stored audio"

    # A document: name, size, type, download link.
    doc_id = _media(sandbox, b"%PDF-1.4\n" + b"0" * 2048, "application/pdf")
    _send(sandbox, {"type": "document", "document": {"id": doc_id, "mime_type": "application/pdf",
                                                     "filename": "pedido-azul.pdf"}})  # fmt: skip
    doc = page.locator('[data-testid="media-document"]')
    expect(doc).to_contain_text("pedido-azul.pdf")
    expect(doc).to_contain_text("PDF")
    expect(doc).to_contain_text("KB")
    assert doc.get_attribute("href").startswith("/media/")

    if shots := os.environ.get("INBOX_MEDIA_SHOTS"):
        page.screenshot(path=f"{shots}/inbox-media-1280.png")
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()  # /inbox/c/<id>: the phone layout opens the thread itself
        page.wait_for_selector('#inbox-live[data-state="online"]', state="attached")
        expect(page.locator('[data-testid="media-transcript"]')).to_be_visible()
        page.screenshot(path=f"{shots}/inbox-media-390.png")
    assert errors == []
