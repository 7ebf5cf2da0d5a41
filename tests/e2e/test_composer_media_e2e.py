"""Headless Chromium: an agent records a voice note (Chromium's fake microphone), pastes
an image, drops a document and a too-big image on the composer (issue #18).

The voice note goes out as OGG/Opus with ``voice: true``; the pasted image with its
caption; the too-big image is refused in the browser before any upload, naming the limit.
"""

from __future__ import annotations

import os
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-e2e-composer-1"
PHONE_ID = "100000000000011"
SHOTS = os.environ.get("COMPOSER_E2E_SHOTS")  # a folder: screenshots at 1280 and 390 px

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture
def inbox_live(app, live_server, tmp_path):
    from clickpro.sandbox import SandboxServer

    sandbox = SandboxServer(
        {
            "webhook_delivery": "manual",
            "webhook_url": f"{live_server}/webhook",
            "app_secret": app.config["META_APP_SECRET"],
            "status_delay_s": 0.05,
        }
    ).start()
    app.config.update(
        META_GRAPH_URL=sandbox.graph_url, META_HTTP_TRANSPORT=None, MEDIA_DIR=str(tmp_path)
    )
    app.extensions.pop("clickpro.meta_http", None)
    app.extensions.pop("clickpro.media_store", None)
    yield live_server, sandbox.state
    sandbox.stop()
    app.extensions.pop("clickpro.media_store", None)


@pytest.fixture
def mic_page():
    """Chromium with a fake microphone (a test tone) and no permission prompt."""
    from playwright.sync_api import sync_playwright

    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        context = browser.new_context(locale="pt-BR", viewport={"width": 1280, "height": 800})
        context.grant_permissions(["microphone"])
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _wait(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    return check()


PASTE_IMAGE = """async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 320; canvas.height = 200;
  const g = canvas.getContext("2d");
  g.fillStyle = "#25d366"; g.fillRect(0, 0, 320, 200);
  g.fillStyle = "#fff"; g.font = "40px sans-serif"; g.fillText("Promo!", 90, 115);
  const blob = await new Promise((ok) => canvas.toBlob(ok, "image/png"));
  const dt = new DataTransfer();
  dt.items.add(new File([blob], "image.png", { type: "image/png" }));
  const evt = new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true });
  document.getElementById("composer-text").dispatchEvent(evt);
}"""

DROP_FILE = """([name, type, size, head]) => {
  const bytes = new Uint8Array(size);
  bytes.set(new TextEncoder().encode(head));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, { type: type }));
  const zone = document.querySelector(".inbox-composer");
  zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
}"""


def test_voice_note_paste_and_drop(
    inbox_live, mic_page, create_client, create_member, create_whatsapp_credential
):
    from playwright.sync_api import expect

    from clickpro.models import Role

    url, sandbox = inbox_live
    page = mic_page
    tenant = create_client("Loja Voz")
    agent = create_member(tenant, Role.CLIENT_USER, password=PASSWORD, name="Vera Agente")
    create_whatsapp_credential(tenant)
    page.goto(f"{url}/login")
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{url}/inbox/")
    page.wait_for_selector('#inbox-live[data-state="online"]')
    assert page.evaluate("MediaRecorder.isTypeSupported('audio/webm;codecs=opus')")

    sandbox.simulate_inbound(PHONE_ID, "5511987003344", text="Pode mandar um áudio?", name="Rui")
    assert sandbox.flush()
    page.locator('[data-testid="conversation"]', has_text="Rui").click()
    expect(page.locator('[data-testid="message"]', has_text="Pode mandar")).to_be_visible()

    # --- voice note: mic, the timer runs, send
    page.click('[data-testid="mic"]')
    expect(page.locator('[data-testid="voice-recorder"]')).to_be_visible()
    expect(page.locator('[data-testid="voice-timer"]')).to_have_text("0:01", timeout=4000)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "composer-recording-1280.png"))
    page.click('[data-testid="voice-send"]')
    expect(page.locator('[data-testid="voice-recorder"]')).to_be_hidden()
    audio = _wait(lambda: [s for s in sandbox.list_sends(PHONE_ID) if s["type"] == "audio"])
    assert audio, page.locator("#composer-error").inner_text()
    assert audio[0]["audio"]["voice"] is True
    uploaded = sandbox.media[audio[0]["audio"]["id"]]
    assert uploaded["mime_type"] == "audio/ogg"
    assert uploaded["content"].startswith(b"OggS") and b"OpusHead" in uploaded["content"][:512]
    assert len(uploaded["content"]) > 1000

    # --- cancel discards the recording: nothing is sent
    page.click('[data-testid="mic"]')
    expect(page.locator('[data-testid="voice-recorder"]')).to_be_visible()
    page.click('[data-testid="voice-cancel"]')
    expect(page.locator('[data-testid="voice-recorder"]')).to_be_hidden()
    time.sleep(0.5)
    assert len([s for s in sandbox.list_sends(PHONE_ID) if s["type"] == "audio"]) == 1

    # --- paste an image: preview, caption, send
    page.evaluate(PASTE_IMAGE)
    preview = page.locator('[data-testid="media-preview"]')
    expect(preview).to_be_visible()
    expect(page.locator("#media-preview-img")).to_be_visible()
    page.fill('[data-testid="media-caption"]', "Nossa promoção de hoje")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "composer-preview-1280.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=os.path.join(SHOTS, "composer-preview-390.png"))
        page.set_viewport_size({"width": 1280, "height": 800})
    page.click('[data-testid="media-send"]')
    expect(preview).to_be_hidden()
    image = _wait(lambda: [s for s in sandbox.list_sends(PHONE_ID) if s["type"] == "image"])
    assert image and image[0]["image"]["caption"] == "Nossa promoção de hoje"
    assert sandbox.media[image[0]["image"]["id"]]["content"].startswith(b"\x89PNG")

    # --- drop a too-big image: refused in the browser, nothing uploaded
    uploads = len(sandbox.media)
    page.evaluate(DROP_FILE, ["grande.png", "image/png", 5 * 1024 * 1024 + 10, "\x89PNG"])
    expect(page.locator("#composer-error")).to_have_text(
        "Imagem maior que 5 MB: o WhatsApp aceita até 5 MB."
    )
    expect(preview).to_be_hidden()
    page.evaluate(DROP_FILE, ["setup.exe", "application/octet-stream", 100, "MZ"])
    expect(page.locator("#composer-error")).to_contain_text("não aceita arquivos .exe")
    expect(page.locator("#composer-error")).to_contain_text("Aceitos:")
    assert len(sandbox.media) == uploads

    # --- drop a PDF: preview with its name, sent as a document with its filename
    page.evaluate(DROP_FILE, ["boleto.pdf", "application/pdf", 2048, "%PDF-1.7\n"])
    expect(preview).to_be_visible()
    expect(page.locator("#media-preview-name")).to_contain_text("boleto.pdf")
    page.click('[data-testid="media-send"]')
    expect(preview).to_be_hidden()
    doc = _wait(lambda: [s for s in sandbox.list_sends(PHONE_ID) if s["type"] == "document"])
    assert doc and doc[0]["document"]["filename"] == "boleto.pdf"
    expect(page.locator('[data-testid="message"]')).to_have_count(4)  # inbound + 3 sent
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "composer-thread-1280.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=os.path.join(SHOTS, "composer-thread-390.png"))
    assert page.js_errors == []
