"""The inbox side of kept media (h1): the ``media`` object of a bubble, the old
``/inbox/media/<id>`` address, another client's ids, expired media fetched again or
explained, transcripts in the search, the AI reading a voice note's transcript, and the
transcription cost in the client's AI spend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from media_helpers import PNG, media_of, opus_note

from clickpro.crypto import encrypt, last4
from clickpro.models import MediaStatus, Message, OpenAICredential, TranscriptStatus
from clickpro.models.base import utcnow
from clickpro.services.media.fetch import GONE
from clickpro.services.media.retention import expire_due

API_KEY = "sk-test-media-h1-0001"


@pytest.fixture
def openai_key(shop, db):
    credential = OpenAICredential(
        client_id=shop.a.id,
        api_key_enc=encrypt(API_KEY),
        key_last4=last4(API_KEY),
        model="gpt-4.1-mini",
        instructions="Você é a atendente.",
        status="VALID",
    )
    db.session.add(credential)
    db.session.commit()
    return credential


def _bubble(http, message: Message) -> dict:
    response = http.get(f"/inbox/api/conversations/{message.conversation_id}/messages")
    assert response.status_code == 200, response.get_json()
    [found] = [m for m in response.get_json()["items"] if m["id"] == message.id]
    return found


def test_serializer_carries_the_media_object(shop, inbound, db, openai_key, login_as):
    image = inbound("image", PNG, "image/png", caption="a vitrine")
    note = inbound("audio", opus_note("quero dez camisetas", seconds=2.5), "audio/ogg", voice=True)
    doc = inbound("document", b"%PDF-1.4 test", "application/pdf", filename="orcamento.pdf")
    http = login_as(shop.a_user, shop.a)

    media = _bubble(http, image)["media"]
    assert media == {
        "kind": "image",
        "url": f"/media/{image.id}",
        "mime": "image/png",
        "size": len(PNG),
        "filename": f"image-{image.id}.png",
        "duration_s": None,
        "status": "STORED",
        "transcript": None,
        "transcript_status": None,
        "explanation": None,
        "refetch": False,
    }
    voice = _bubble(http, note)["media"]
    assert voice["kind"] == "voice" and voice["duration_s"] == 2.5
    assert (voice["transcript"], voice["transcript_status"]) == ("quero dez camisetas", "DONE")
    document = _bubble(http, doc)["media"]
    assert (document["kind"], document["filename"], document["mime"]) == (
        "document", "orcamento.pdf", "application/pdf",
    )  # fmt: skip
    assert document["size"] == len(b"%PDF-1.4 test")


def test_a_message_without_media_has_none_and_pending_is_pending(shop, inbound, db, login_as):
    http = login_as(shop.a_user, shop.a)
    image = inbound("image", PNG, "image/png")
    row = media_of(db, image)
    db.session.delete(row)  # as if the fetch job had not run yet
    db.session.commit()
    assert _bubble(http, image)["media"]["status"] == "PENDING"


def test_old_inbox_route_redirects_to_the_store_and_meta_is_asked_once(shop, inbound, db, login_as):
    image = inbound("image", PNG, "image/png")
    http = login_as(shop.a_user, shop.a)
    old = http.get(f"/inbox/media/{image.id}")
    assert old.status_code == 308
    assert old.headers["Location"].endswith(f"/media/{image.id}")
    for _ in range(3):
        assert http.get(f"/inbox/media/{image.id}", follow_redirects=True).data == PNG
    assert shop.sandbox.media[image.sandbox_media_id]["downloads"] == 1  # the job's only


def test_another_clients_media_is_a_404_on_every_route(shop, inbound, db, login_as):
    image = inbound("image", PNG, "image/png")
    http = login_as(shop.b_user, shop.b)
    assert http.get(f"/media/{image.id}").status_code == 404
    assert http.get(f"/inbox/media/{image.id}").status_code == 404
    assert http.post(f"/media/{image.id}/fetch").status_code == 404


def test_expired_media_is_fetched_again_when_meta_still_has_it(shop, inbound, db, login_as):
    image = inbound("image", PNG, "image/png")
    assert expire_due(utcnow() + timedelta(days=400)) == 1
    http = login_as(shop.a_user, shop.a)
    media = _bubble(http, image)["media"]
    assert media["status"] == "EXPIRED" and media["refetch"] is True
    assert "prazo de guarda" in media["explanation"]
    answer = http.post(f"/media/{image.id}/fetch")
    assert answer.status_code == 202  # jobs run inline in tests: already stored again
    assert answer.get_json()["media"]["status"] == "STORED"
    assert media_of(db, image).status == MediaStatus.STORED
    assert http.get(f"/media/{image.id}").data == PNG


def test_media_meta_no_longer_has_is_explained(shop, inbound, db, login_as):
    image = inbound("image", PNG, "image/png")
    expire_due(utcnow() + timedelta(days=400))
    shop.sandbox.media.pop(image.sandbox_media_id)  # Meta forgot it
    http = login_as(shop.a_user, shop.a)
    gone = http.post(f"/media/{image.id}/fetch")
    assert gone.status_code == 202
    assert gone.get_json()["media"]["status"] == "FAILED"
    row = media_of(db, image)
    assert (row.status, row.error) == (MediaStatus.FAILED, GONE)
    media = _bubble(http, image)["media"]
    assert media["refetch"] is False
    assert media["explanation"].startswith("Mídia expirada")
    again = http.post(f"/media/{image.id}/fetch")
    assert again.status_code == 410
    assert again.get_json()["error"]["code"] == "media_expired"


def test_transcripts_are_found_by_the_inbox_search(shop, inbound, db, openai_key, login_as):
    note = inbound("audio", opus_note("preciso de uma jaqueta azul"), "audio/ogg", voice=True)
    # Even where the body is not the transcript (an audio with a body of its own).
    db.session.get(Message, note.id).body = "[Áudio encaminhado]"
    db.session.commit()
    http = login_as(shop.a_user, shop.a)
    found = http.get("/inbox/api/search?q=jaqueta azul").get_json()["items"]
    assert [m["id"] for m in found] == [note.id]
    assert found[0]["media"]["transcript"] == "preciso de uma jaqueta azul"
    listed = http.get("/inbox/api/conversations?q=jaqueta").get_json()
    assert [c["id"] for c in listed["items"]] == [note.conversation_id]
    other = login_as(shop.b_user, shop.b)
    assert other.get("/inbox/api/search?q=jaqueta azul").get_json()["items"] == []


def test_transcription_cost_counts_in_the_ai_spend(shop, inbound, db, openai_key, app):
    from clickpro.services.costs.ai_spend import month_start, spend_between

    app.config["AI_MODEL_PRICES"] = {"gpt-4o-mini-transcribe": {"input": 1000, "output": 1000}}
    before, _ = spend_between(shop.a.id, month_start())
    note = inbound("audio", opus_note("bom dia"), "audio/ogg", voice=True)
    usage = media_of(db, note).transcript_usage
    assert usage["cost"] > 0
    after, replies = spend_between(shop.a.id, month_start())
    assert float(after - before) == pytest.approx(usage["cost"])
    assert replies == 0  # a transcript is not an AI reply


@pytest.fixture
def ai_on(shop, db, openai_key, monkeypatch):
    from clickpro.services.ai import effects

    shop.a.ai_enabled = True
    db.session.commit()
    contexts: list[list[dict]] = []
    real = effects.ask_openai

    def spy(settings, instructions, context):
        contexts.append(context)
        return real(settings, instructions, context)

    monkeypatch.setattr(effects, "ask_openai", spy)
    return contexts


def test_the_ai_reads_a_voice_notes_transcript_as_the_customers_text(shop, inbound, db, ai_on):
    note = inbound("audio", opus_note("vocês abrem no sábado?"), "audio/ogg", voice=True)
    assert media_of(db, note).transcript_status == TranscriptStatus.DONE
    assert ai_on, "the AI answered with OpenAI (not the non-text fallback)"
    assert ai_on[-1][-1] == {"role": "user", "content": "vocês abrem no sábado?"}
    ai = db.session.scalars(
        Message.__table__.select().where(Message.author == "AI", Message.client_id == shop.a.id)
    ).all()
    assert len(ai) == 1


def test_the_ai_waits_while_the_transcript_is_pending(shop, inbound, db, ai_on, monkeypatch):
    from clickpro.services.ai import reply as ai_reply
    from clickpro.services.ai.reply import answer_conversation
    from clickpro.tasks import media as media_tasks

    runs: list = []
    monkeypatch.setattr(media_tasks, "enqueue", lambda *a, **k: runs.append(a))  # no transcript yet
    note = inbound("audio", opus_note("tem em vermelho?"), "audio/ogg", voice=True)
    row = media_of(db, note)
    assert row.transcript_status == TranscriptStatus.PENDING and runs
    outcome = answer_conversation(shop.a.id, note.conversation_id, note.id)
    assert outcome.reason == "transcript_pending" and not ai_on
    # The transcript job finishes → the AI answers the words.
    monkeypatch.undo()
    monkeypatch.setattr(ai_reply.effects, "ask_openai", _recording(ai_on))
    media_tasks.transcribe(shop.a.id, note.id)
    assert ai_on and ai_on[-1][-1]["content"] == "tem em vermelho?"


def test_the_ai_stops_waiting_after_a_while(shop, inbound, db, ai_on, monkeypatch):
    from clickpro.services.ai import reply as ai_reply
    from clickpro.services.ai.reply import answer_conversation
    from clickpro.tasks import media as media_tasks

    monkeypatch.setattr(media_tasks, "enqueue", lambda *a, **k: None)
    note = inbound("audio", opus_note("oi"), "audio/ogg", voice=True)
    monkeypatch.setattr(ai_reply, "clock", lambda: utcnow() + timedelta(minutes=10))
    outcome = answer_conversation(shop.a.id, note.conversation_id, note.id)
    assert outcome.reason != "transcript_pending"


def _recording(contexts):
    from clickpro.services.ai import effects

    real = effects.ask_openai

    def spy(settings, instructions, context):
        contexts.append(context)
        return real(settings, instructions, context)

    return spy
