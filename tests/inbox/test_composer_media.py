"""Composer media (issue #18): voice notes recorded in the browser (WebM/Opus → OGG/Opus
without re-encoding, sent as a WhatsApp voice message), images and documents within
WhatsApp's type and size limits, a copy of what went out kept in the media store."""

from __future__ import annotations

import io
import math
import struct

import av
import pytest

from clickpro.extensions import db
from clickpro.models import MediaStatus, Message, MessageMedia
from clickpro.services.inbox.media import MediaRefused
from clickpro.services.inbox.voice import to_ogg_opus
from clickpro.services.media.audio import ogg_duration_s

PHONE_ID = "100000000000011"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64
MB = 1024 * 1024


def make_webm(seconds: float = 1.0) -> bytes:
    """A real WebM/Opus recording (what Chromium's MediaRecorder gives), a 440 Hz tone."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="webm") as out:
        stream = out.add_stream("libopus", rate=48000, layout="mono")
        pts = 0
        for _ in range(int(seconds * 50)):
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            samples = (
                int(8000 * math.sin((pts + n) * 2 * math.pi * 440 / 48000)) for n in range(960)
            )
            frame.planes[0].update(b"".join(struct.pack("<h", s) for s in samples))
            frame.sample_rate, frame.pts = 48000, pts
            pts += 960
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


@pytest.fixture
def store_dir(app, tmp_path):
    app.config["MEDIA_DIR"] = str(tmp_path / "media")
    app.extensions.pop("clickpro.media_store", None)
    yield tmp_path / "media"
    app.extensions.pop("clickpro.media_store", None)


def _opus_packets(content: bytes) -> list[bytes]:
    with av.open(io.BytesIO(content)) as source:
        stream = source.streams.audio[0]
        return [bytes(p) for p in source.demux(stream) if p.size]


def test_webm_becomes_ogg_opus_without_reencoding(app):
    webm = make_webm(1.0)
    assert webm.startswith(b"\x1aE\xdf\xa3")  # EBML: a real WebM
    ogg = to_ogg_opus(webm)
    assert ogg.startswith(b"OggS") and b"OpusHead" in ogg[:512]
    assert _opus_packets(ogg) == _opus_packets(webm)  # the same Opus packets: a remux
    assert ogg_duration_s(ogg) == pytest.approx(1.0, abs=0.05)
    assert to_ogg_opus(ogg) == ogg  # already OGG/Opus (Firefox): as is


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"", "vazia"), (b"not audio at all" * 10, "Não foi possível ler"), (PNG, "gravação")],
    ids=["empty", "garbage", "image"],
)
def test_a_bad_recording_is_refused(app, content, says):
    with pytest.raises(MediaRefused, match=says):
        to_ogg_opus(content)


def _post(http, conversation_id, content, filename, mime, **form):
    return http.post(
        f"/inbox/api/conversations/{conversation_id}/media",
        data={"file": (io.BytesIO(content), filename, mime), **form},
        content_type="multipart/form-data",
    )


def test_voice_note_upload_and_send_shapes(wired, conversation, login_as, sandbox, store_dir):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = _post(
        http, conv.id, make_webm(1.0), "gravacao.webm", "audio/webm;codecs=opus", voice="1"
    )
    assert response.status_code == 201, response.get_json()
    sends = sandbox.list_sends(PHONE_ID)
    assert len(sends) == 1
    sent = sends[0]
    assert sent["type"] == "audio"
    assert sent["audio"]["voice"] is True
    media_id = sent["audio"]["id"]
    uploaded = sandbox.media[media_id]  # POST /{phone_number_id}/media, multipart
    assert uploaded["mime_type"] == "audio/ogg"
    assert uploaded["content"].startswith(b"OggS")
    assert uploaded["file_name"] == "nota-de-voz.ogg"

    message = db.session.get(Message, response.get_json()["message"]["id"])
    assert message.type == "audio" and message.payload["audio"]["id"] == media_id
    row = db.session.query(MessageMedia).filter_by(message_id=message.id).one()
    assert row.status == MediaStatus.STORED and row.mime == "audio/ogg"
    assert row.size == len(uploaded["content"])
    assert row.duration_s == pytest.approx(1.0, abs=0.05)
    served = http.get(f"/media/{message.id}")  # the agent's own voice note plays back
    assert served.status_code == 200
    assert served.mimetype == "audio/ogg"
    assert served.data == uploaded["content"]


def test_image_with_caption_is_kept_and_served(wired, conversation, login_as, sandbox, store_dir):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = _post(http, conv.id, PNG, "colado.png", "image/png", caption="Olha a foto")
    assert response.status_code == 201, response.get_json()
    sent = sandbox.list_sends(PHONE_ID)[0]
    assert sent["type"] == "image" and sent["image"]["caption"] == "Olha a foto"
    assert "voice" not in sent["image"]
    message_id = response.get_json()["message"]["id"]
    served = http.get(f"/media/{message_id}")
    assert served.status_code == 200 and served.data == PNG


def test_document_keeps_its_filename(wired, conversation, login_as, sandbox, store_dir):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = _post(http, conv.id, PDF, "boleto.pdf", "application/pdf")
    assert response.status_code == 201, response.get_json()
    sent = sandbox.list_sends(PHONE_ID)[0]
    assert sent["type"] == "document" and sent["document"]["filename"] == "boleto.pdf"
    row = db.session.query(MessageMedia).filter_by(message_id=response.get_json()["message"]["id"])
    assert row.one().filename == "boleto.pdf"


def test_a_big_image_is_413_with_the_limit(wired, conversation, login_as, sandbox, store_dir):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = _post(http, conv.id, PNG + b"\x00" * (5 * MB), "grande.png", "image/png")
    assert response.status_code == 413, response.get_json()
    error = response.get_json()["error"]
    assert error["message"] == "Imagem maior que 5 MB: o WhatsApp aceita até 5 MB."
    assert sandbox.list_sends(PHONE_ID) == [] and sandbox.media == {}


def test_wrong_type_lists_what_is_accepted(wired, conversation, login_as, sandbox, store_dir):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = _post(http, conv.id, b"GIF89a" + b"\x00" * 20, "anim.gif", "image/gif")
    assert response.status_code in (400, 422)
    message = response.get_json()["error"]["message"]
    assert "não aceita arquivos .gif" in message and "JPG e PNG (até 5 MB)" in message
    bad_voice = _post(http, conv.id, b"garbage" * 50, "x.webm", "audio/webm", voice="1")
    assert bad_voice.status_code in (400, 422), bad_voice.get_json()
    assert "gravação" in bad_voice.get_json()["error"]["message"]
    assert sandbox.list_sends(PHONE_ID) == []


def test_no_file_is_a_clear_error(wired, conversation, login_as, sandbox):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = http.post(
        f"/inbox/api/conversations/{conv.id}/media", data={}, content_type="multipart/form-data"
    )
    assert 400 <= response.status_code < 500
    assert response.get_json()["error"]["message"]


def test_closed_window_refuses_voice(wired, conversation, login_as, sandbox, store_dir):
    conv, _ = conversation(wired.a, minutes_ago=60 * 25)
    http = login_as(wired.a_user, wired.a)
    response = _post(http, conv.id, make_webm(0.5), "g.webm", "audio/webm", voice="1")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "window_closed"
    assert sandbox.list_sends(PHONE_ID) == []


def test_another_clients_conversation_is_404(wired, conversation, login_as, sandbox, store_dir):
    conv, _ = conversation(wired.b)
    http = login_as(wired.a_user, wired.a)
    response = _post(http, conv.id, make_webm(0.5), "g.webm", "audio/webm", voice="1")
    assert response.status_code == 404
    assert sandbox.list_sends(PHONE_ID) == []
    assert db.session.query(MessageMedia).count() == 0
