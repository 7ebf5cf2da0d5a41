"""Voice notes: stored, then transcribed with the client's OpenAI key (the sandbox fakes
OpenAI's /audio/transcriptions); the transcript replaces the "[Mensagem de voz]" body, so
the inbox search and the AI read it. No key: skipped with the reason recorded."""

from __future__ import annotations

import pytest
from media_helpers import media_of, opus_note

from clickpro.crypto import encrypt, last4
from clickpro.integrations.openai import OpenAIFailure, openai_client
from clickpro.models import MediaStatus, OpenAICredential, TranscriptStatus
from clickpro.services.media.audio import ogg_duration_s

API_KEY = "sk-test-media-0001"


@pytest.fixture
def openai_key(shop, db):
    credential = OpenAICredential(
        client_id=shop.a.id,
        api_key_enc=encrypt(API_KEY),
        key_last4=last4(API_KEY),
        model="gpt-4.1-mini",
        status="VALID",
    )
    db.session.add(credential)
    db.session.commit()
    return credential


def test_voice_note_is_transcribed_and_becomes_the_body(shop, inbound, db, openai_key, login_as):
    note = opus_note("Quero um orçamento para 20 camisetas", seconds=4.5)
    message = inbound("audio", note, "audio/ogg; codecs=opus", voice=True)
    assert message.body == "Quero um orçamento para 20 camisetas"  # was "[Mensagem de voz]"
    row = media_of(db, message)
    assert (row.status, row.mime, row.duration_s) == (MediaStatus.STORED, "audio/ogg", 4.5)
    assert row.transcript_status == TranscriptStatus.DONE
    assert row.transcript == "Quero um orçamento para 20 camisetas"
    assert row.transcript_usage["model"] == "gpt-4o-mini-transcribe"
    assert row.transcript_usage["input_tokens"] == len(note) // 100
    assert shop.sandbox.openai_counts["transcriptions"] == 1

    # Played in the browser: inline with its type, and seekable (Range → 206).
    http = login_as(shop.a_user, shop.a)
    response = http.get(f"/media/{message.id}", headers={"Range": "bytes=0-3"})
    assert response.status_code == 206
    assert response.data == b"OggS"
    assert response.headers["Content-Range"] == f"bytes 0-3/{len(note)}"
    assert response.mimetype == "audio/ogg"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_without_an_openai_key_the_transcript_is_skipped_with_the_reason(shop, inbound, db):
    message = inbound("audio", opus_note("alô"), "audio/ogg", voice=True)
    row = media_of(db, message)
    assert row.status == MediaStatus.STORED  # the audio itself is kept and playable
    assert row.transcript_status == TranscriptStatus.SKIPPED
    assert row.transcript_error == "Este cliente ainda não configurou a chave da OpenAI."
    assert row.transcript is None
    assert message.body == "[Mensagem de voz]"
    assert shop.sandbox.openai_counts["transcriptions"] == 0


def test_images_are_not_transcribed(shop, inbound, db, openai_key):
    from media_helpers import PNG

    message = inbound("image", PNG, "image/png")
    assert media_of(db, message).transcript_status is None
    assert shop.sandbox.openai_counts["transcriptions"] == 0


def test_gateway_transcribe_in_openais_shape(app, sandbox):
    gateway = openai_client(API_KEY)
    result = gateway.transcribe(opus_note("bom dia"), "nota.ogg", "audio/ogg")
    assert (result.text, result.model) == ("bom dia", "gpt-4o-mini-transcribe")
    assert result.input_tokens > 0 and result.output_tokens == 2 and result.seconds is None
    whisper = gateway.transcribe(b"\x01" * 9000, "a.mp3", "audio/mpeg", model="whisper-1")
    assert whisper.text.startswith("Mensagem de voz de teste ") and whisper.seconds == 2.0
    with pytest.raises(OpenAIFailure) as failure:
        gateway.transcribe(b"x", "a.ogg", "audio/ogg", model="nope")
    assert failure.value.kind == "model_not_found"
    sandbox.revoked_keys.add("sk-revoked-key-9999")
    with pytest.raises(OpenAIFailure) as failure:
        openai_client("sk-revoked-key-9999").transcribe(b"x", "a.ogg", "audio/ogg")
    assert failure.value.kind == "bad_key"


def test_ogg_duration():
    assert ogg_duration_s(opus_note("x", seconds=12.25)) == 12.25
    assert ogg_duration_s(b"ID3\x00not ogg") is None
