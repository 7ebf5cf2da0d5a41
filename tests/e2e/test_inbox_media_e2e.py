"""Headless Chromium: inbound media in the inbox (h1).

The agent has the conversation open; the customer sends a photo and a voice note
through the sandbox's control API (``/_control/media`` + ``/inbound``; ``/_sandbox/_control/…`` when embedded, signed
webhooks to the live server). The bubbles appear live, are replaced live when the fetch
and the transcription jobs finish (``message:update``): a thumbnail that enlarges (Esc
closes), an audio player with its duration that really plays (a real OGG/Opus note, made
with PyAV) and the transcript under it, a document with its name, size and type — at
1280×800 and at 390×844; an inbound video (a player) and a sticker (an image).
``INBOX_MEDIA_SHOTS=dir`` saves screenshots at both sizes.
"""

from __future__ import annotations

import io
import os
import time

import av
import httpx
import pytest

from clickpro.crypto import encrypt, last4
from clickpro.sandbox import sample_media

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "senha-e2e-media-1"
CUSTOMER = "5511987003344"
PNID = "100000000000011"


def _frames(width: int, height: int, count: int):
    for n in range(count):
        frame = av.VideoFrame(width, height, "rgb24")
        frame.planes[0].update(
            b"".join(
                bytes((x * 255 // width, (n * 20) % 255, y * 255 // height))
                for y in range(height)
                for x in range(width)
            )
        )
        yield frame.reformat(format="yuv420p")


def _encode(fmt: str, codec: str, width: int, height: int, count: int, **options) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt, options=options) as out:
        stream = out.add_stream(codec, rate=10) if count > 1 else out.add_stream(codec)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in _frames(width, height, count):
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def mp4_video() -> bytes:
    """A real one-second H.264 MP4 (64×48) as WhatsApp sends videos."""
    return _encode("mp4", "libx264", 64, 48, 10, movflags="frag_keyframe+empty_moov")


def webp_sticker() -> bytes:
    """A real 96×96 WebP, WhatsApp's sticker format."""
    return _encode("webp", "libwebp", 96, 96, 1)


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


def _png(width: int = 160, height: int = 120) -> bytes:
    """A real (decodable) PNG: a two-colour gradient, so the thumbnail is visible."""
    return sample_media.png(width, height, lambda x, y: (x * 255 // width, 120, y * 255 // height))


@pytest.fixture
def media_live(live_server, live_sandbox):
    return live_server, live_sandbox


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


def _tenant(create_client, create_member, create_whatsapp_credential, db):
    from clickpro.models import OpenAICredential, Role

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
    return agent


def _open_inbox(page, url: str, agent, viewport: dict) -> None:
    page.set_viewport_size(viewport)
    page.goto(f"{url}/login")
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{url}/inbox/")
    page.wait_for_selector('#inbox-live[data-state="online"]', state="attached")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
def test_inbound_image_voice_note_and_document_in_the_inbox(
    media_live,
    browser_page,
    create_client,
    create_member,
    create_whatsapp_credential,
    db,
    viewport,
):
    from playwright.sync_api import expect

    url, sandbox = media_live
    agent = _tenant(create_client, create_member, create_whatsapp_credential, db)
    page = browser_page
    width = viewport["width"]
    shots = os.environ.get("INBOX_MEDIA_SHOTS")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _open_inbox(page, url, agent, viewport)

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
    box = thumb.bounding_box()
    assert box and box["width"] > 40 and box["x"] + box["width"] <= width, box
    expect(page.locator('[data-testid="message"]', has_text="Esse modelo em azul")).to_have_count(1)
    expect(page.locator('[data-testid="message"]', has_text="[Imagem]")).to_have_count(0)

    # Click → lightbox (the image, inside the viewport); Esc closes it; so does the close button.
    page.locator('[data-testid="media-thumb"]').click()
    lightbox = page.locator('[data-testid="media-lightbox"]')
    expect(lightbox).to_be_visible()
    big = lightbox.locator("img")
    expect(big).to_be_visible()
    big_box = big.bounding_box()
    assert big_box and big_box["x"] >= 0 and big_box["x"] + big_box["width"] <= width, big_box
    if shots:
        page.screenshot(path=f"{shots}/lightbox-{width}.png")
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()

    # The voice note: a player with its duration, then the transcript (no reload).
    note_id = _media(
        sandbox, sample_media.voice_note("Quero em azul, tamanho M", seconds=2.0), "audio/ogg"
    )
    _send(sandbox, {"type": "audio", "audio": {"id": note_id, "mime_type": "audio/ogg; codecs=opus",
                                               "voice": True}})  # fmt: skip
    player = page.locator('[data-testid="media-audio"]')
    expect(player).to_be_visible()
    expect(player).to_contain_text("Mensagem de voz")
    expect(player).to_contain_text("0:02")
    expect(player.locator("audio[controls]")).to_have_count(1)
    transcript = page.locator('[data-testid="media-transcript"]')
    expect(transcript).to_be_visible()
    expect(transcript).to_contain_text("Transcrição")
    expect(transcript).to_contain_text("Quero em azul, tamanho M")
    # the transcript is under the player
    assert transcript.bounding_box()["y"] >= player.bounding_box()["y"] + 20
    # It plays: the agent starts it (a click is the user gesture), the clock moves.
    audio = player.locator("audio")
    audio.scroll_into_view_if_needed()
    page.evaluate(
        "() => { const a = document.querySelector('[data-testid=media-audio] audio');"
        " window.__played = { playing: false, ended: false, error: null };"
        " a.addEventListener('playing', () => { window.__played.playing = true; });"
        " a.addEventListener('ended', () => { window.__played.ended = true; });"
        " a.addEventListener('error', () => { window.__played.error = a.error && a.error.code; }); }"
    )
    audio.click()  # the gesture (the native controls' area)
    audio.evaluate("a => a.play()")
    page.wait_for_function(
        "() => window.__played.error !== null || (window.__played.playing"
        " && document.querySelector('[data-testid=media-audio] audio').currentTime > 0.2)",
        timeout=10_000,
    )
    played = page.evaluate(
        "() => { const a = document.querySelector('[data-testid=media-audio] audio');"
        " return { ...window.__played, t: a.currentTime, d: a.duration }; }"
    )
    assert played["error"] is None, played
    assert played["playing"] and played["t"] > 0.2, played
    assert 1.9 <= played["d"] <= 2.2, played  # the browser decoded the stored note itself
    page.wait_for_function("() => window.__played.ended", timeout=10_000)

    # A document: name, size, type, download link.
    doc_id = _media(sandbox, b"%PDF-1.4\n" + b"0" * 2048, "application/pdf")
    _send(sandbox, {"type": "document", "document": {"id": doc_id, "mime_type": "application/pdf",
                                                     "filename": "pedido-azul.pdf"}})  # fmt: skip
    doc = page.locator('[data-testid="media-document"]')
    expect(doc).to_contain_text("pedido-azul.pdf")
    expect(doc).to_contain_text("PDF")
    expect(doc).to_contain_text("KB")
    assert doc.get_attribute("href").startswith("/media/")

    if shots:
        transcript.scroll_into_view_if_needed()
        page.screenshot(path=f"{shots}/inbox-media-{width}.png")
    assert errors == []


def test_inbound_video_and_sticker_in_the_inbox(
    media_live, browser_page, create_client, create_member, create_whatsapp_credential, db
):
    from playwright.sync_api import expect

    url, sandbox = media_live
    agent = _tenant(create_client, create_member, create_whatsapp_credential, db)
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _open_inbox(page, url, agent, DESKTOP)
    _send(sandbox, text="Olha o vídeo do defeito")
    page.locator('[data-testid="conversation"]', has_text="Lia Cliente").click()
    expect(page.locator('[data-testid="message"]', has_text="vídeo do defeito")).to_be_visible()

    # A video: an inline player with controls, its first frame loaded by the browser.
    video_id = _media(sandbox, mp4_video(), "video/mp4")
    _send(sandbox, {"type": "video", "video": {"id": video_id, "mime_type": "video/mp4",
                                               "caption": "o zíper travado"}})  # fmt: skip
    video = page.locator('[data-testid="media-video"]')
    expect(video).to_be_visible()
    assert video.evaluate("v => v.controls") is True
    assert video.get_attribute("src").startswith("/media/")
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=media-video]');"
        " return v && v.readyState >= 1 && v.videoWidth === 64; }"
    )
    expect(page.locator('[data-testid="message"]', has_text="o zíper travado")).to_have_count(1)
    expect(page.locator('[data-testid="media"][data-kind="video"]')).to_have_count(1)

    # A sticker: an image (the WebP decoded), shown as a sticker, not as a photo card.
    sticker_id = _media(sandbox, webp_sticker(), "image/webp")
    _send(sandbox, {"type": "sticker", "sticker": {"id": sticker_id, "mime_type": "image/webp",
                                                   "animated": False}})  # fmt: skip
    sticker = page.locator('[data-testid="media"][data-kind="sticker"]')
    expect(sticker).to_be_visible()
    expect(sticker.locator(".inbox-media-sticker img")).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-kind=sticker] img');"
        " return i && i.complete && i.naturalWidth === 96; }"
    )
    expect(page.locator('[data-testid="message"]', has_text="[Figurinha]")).to_have_count(0)
    if shots := os.environ.get("INBOX_MEDIA_SHOTS"):
        page.screenshot(path=f"{shots}/inbox-video-sticker-1280.png")
    assert errors == []
