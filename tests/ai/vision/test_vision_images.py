"""Images the AI sees (issue #21): a stored photo of the burst goes to the model as an
``input_image`` part with its caption; over the size cap, not yet downloaded or
switched off → the text stand-in, as before."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa

from clickpro.models import AIReplyRun, MessageMedia
from clickpro.models.media import MediaStatus
from clickpro.services.ai import vision
from clickpro.services.credentials import assistant_settings

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 8 + b"\xff\xd9"  # ~2 KB


@pytest.fixture
def photo_shop(shop, app, tmp_path, queued_jobs):
    """The shop with media kept under ``tmp_path``; the AI's (debounced) reply jobs run
    after the webhook's media fetch, as the debounce makes them do in production."""
    app.config["MEDIA_DIR"] = str(tmp_path / "media")
    app.extensions.pop("clickpro.media_store", None)
    shop.jobs = queued_jobs
    return shop


def _run_jobs(shop) -> None:
    while shop.jobs:
        func, args, _kw = shop.jobs.pop(0)
        func(*args)


def _say(shop, text):
    message = shop.say(text)
    _run_jobs(shop)
    return message


def _send_photo(shop, content=JPEG, mime="image/jpeg", caption="tem essa no 38?"):
    media_id = shop.sandbox.add_media(content, mime, None)
    block = {"id": media_id, "mime_type": mime, "caption": caption}
    message = shop.say(message={"type": "image", "image": block})
    _run_jobs(shop)
    return message


def _user_content(body: dict):
    users = [m for m in body["input"] if m.get("role") == "user"]
    return users[-1]["content"]


def _images_in(body: dict) -> list[dict]:
    parts = []
    for item in body["input"]:
        content = item.get("content")
        if isinstance(content, list):
            parts += [p for p in content if p.get("type") == "input_image"]
    return parts


def test_a_photo_reaches_the_model_with_its_caption(photo_shop, db, openai_spy):
    message = _send_photo(photo_shop)
    row = db.session.scalar(sa.select(MessageMedia).where(MessageMedia.message_id == message.id))
    assert row is not None and row.status == MediaStatus.STORED
    [answer] = photo_shop.ai_messages()
    assert answer.ai_usage["kind"] == "answer"  # not the "só leio texto" fallback
    [body] = openai_spy.bodies
    text_part, image_part = _user_content(body)
    assert text_part == {"type": "input_text", "text": "[Imagem] tem essa no 38?"}
    assert image_part["type"] == "input_image"
    assert image_part["image_url"] == "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()
    assert photo_shop.sandbox.openai_counts["input_images"] == 1  # the sandbox counted it


def _photo_then_text(shop, text="e aí, tem?"):
    """A photo and a text in one burst (the reply jobs run after both arrived)."""
    media_id = shop.sandbox.add_media(JPEG, "image/jpeg", None)
    block = {"id": media_id, "mime_type": "image/jpeg", "caption": "tem essa no 38?"}
    photo = shop.say(message={"type": "image", "image": block})
    shop.say(text)
    return photo


def test_an_image_over_the_cap_is_not_sent(photo_shop, db, openai_spy):
    photo_shop.credential.options = {"image_max_kb": 1}
    db.session.commit()
    _photo_then_text(photo_shop)  # ~2 KB > 1 KB: the model reads the caption only
    _run_jobs(photo_shop)
    [body] = openai_spy.bodies
    assert not _images_in(body) and photo_shop.sandbox.openai_counts["input_images"] == 0
    assert [m["content"] for m in body["input"]] == ["[Imagem] tem essa no 38?", "e aí, tem?"]


def test_an_image_alone_over_the_cap_gets_the_non_text_policy(photo_shop, db):
    photo_shop.credential.options = {"image_max_kb": 1}
    db.session.commit()
    _send_photo(photo_shop)
    [reply] = photo_shop.ai_messages()
    assert reply.ai_usage["kind"] == "non_text_fallback" and photo_shop.openai_calls() == 0


def test_images_off_and_no_caption_falls_back_to_the_non_text_policy(photo_shop, db):
    photo_shop.credential.options = {"image_max_kb": 0}
    db.session.commit()
    _send_photo(photo_shop, caption="")
    [reply] = photo_shop.ai_messages()
    assert reply.ai_usage["kind"] == "non_text_fallback"
    assert photo_shop.openai_calls() == 0


def test_only_the_bursts_images_and_only_image_types(photo_shop, db, openai_spy):
    _send_photo(photo_shop)
    _say(photo_shop, "e na cor azul?")
    body = openai_spy.bodies[-1]
    assert not _images_in(body)  # the earlier photo was seen when it arrived
    assert "[Imagem] tem essa no 38?" in [m["content"] for m in body["input"]]
    settings = assistant_settings(photo_shop.tenant.id)
    run_ids = db.session.scalars(sa.select(AIReplyRun.trigger_message_id)).all()
    assert vision.image_parts(photo_shop.tenant.id, run_ids, settings).keys() <= set(run_ids)


def test_a_photo_not_yet_downloaded_is_the_text_stand_in(photo_shop, db, openai_spy):
    photo = _photo_then_text(photo_shop)
    row = db.session.scalar(sa.select(MessageMedia).where(MessageMedia.message_id == photo.id))
    row.status = MediaStatus.PENDING  # the fetch job has not run yet (Meta is slow)
    db.session.commit()
    _run_jobs(photo_shop)
    [body] = openai_spy.bodies
    assert not _images_in(body) and body["input"][0]["content"] == "[Imagem] tem essa no 38?"


def test_another_clients_media_is_never_read(photo_shop, db, create_client):
    message = _send_photo(photo_shop)
    other = create_client("Outra")
    settings = assistant_settings(photo_shop.tenant.id)
    assert vision.image_parts(other.id, [message.id], settings) == {}
    assert message.id in vision.image_parts(photo_shop.tenant.id, [message.id], settings)


def test_the_size_cap_setting_is_bounded(photo_shop, db):
    for raw, expected in ((None, 1024), ("abc", 1024), (-5, 0), (999_999, 20 * 1024), (300, 300)):
        photo_shop.credential.options = {"image_max_kb": raw}
        db.session.commit()
        assert vision.image_max_bytes(assistant_settings(photo_shop.tenant.id)) == expected * 1024
