"""Inbound media: fetched once from Meta (the sandbox counts downloads), kept per client,
served only to that client's members, expired after the retention period."""

from __future__ import annotations

from datetime import timedelta

from media_helpers import PNG, media_of

from clickpro.events import message_received, send_safely
from clickpro.models import MediaStatus
from clickpro.models.base import utcnow
from clickpro.services.media import retention
from clickpro.tasks import media as media_tasks
from clickpro.tasks.schedule import periodic_jobs


def test_inbound_image_is_fetched_once_and_served_to_members(
    shop, inbound, db, login_as, app, create_member
):
    message = inbound("image", PNG, "image/png", caption="olha")
    row = media_of(db, message)
    assert row is not None and row.status == MediaStatus.STORED
    # On disk, under the client's id, the fetch month and the content's hash.
    now = utcnow()
    path = shop.media_dir / str(shop.a.id) / f"{now:%Y}" / f"{now:%m}" / row.sha256
    assert row.storage_key == f"{shop.a.id}/{now:%Y}/{now:%m}/{row.sha256}"
    assert path.read_bytes() == PNG
    assert (row.mime, row.size) == ("image/png", len(PNG))
    retention_days = app.config["MEDIA_RETENTION_DAYS"]
    assert abs((row.expires_at - row.fetched_at) - timedelta(days=retention_days)) < timedelta(
        seconds=1
    )
    downloads = shop.sandbox.media[message.sandbox_media_id]
    assert downloads["downloads"] == 1

    # A second job run and a second announcement (a re-delivered webhook) download nothing.
    media_tasks.fetch(shop.a.id, message.id)
    send_safely(
        message_received,
        client_id=shop.a.id,
        message_id=message.id,
        contact_id=message.contact_id,
        conversation_id=message.conversation_id,
        number_id=message.number_id,
    )

    agent = login_as(shop.a_user, shop.a)  # CLIENT_USER: an agent of the same client
    response = agent.get(f"/media/{message.id}")
    assert response.status_code == 200
    assert response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" not in response.headers.get("Content-Security-Policy", "")
    admin = login_as(shop.a_admin, shop.a)
    assert admin.get(f"/media/{message.id}").data == PNG
    assert shop.sandbox.media[message.sandbox_media_id]["downloads"] == 1  # still once


def test_another_clients_media_and_messages_without_media_are_404(
    shop, inbound, login_as, create_contact, create_message
):
    message = inbound("image", PNG, "image/png")
    other = login_as(shop.b_user, shop.b)
    response = other.get(f"/media/{message.id}")
    assert response.status_code == 404
    assert PNG not in response.data
    mine = login_as(shop.a_user, shop.a)
    text = create_message(shop.a, create_contact(shop.a), body="oi", type="text")
    assert mine.get(f"/media/{text.id}").status_code == 404
    assert mine.get("/media/999999999").status_code == 404


def test_document_is_an_attachment_in_a_sandbox(shop, inbound, login_as):
    html = b"<html><script>alert(document.cookie)</script></html>"
    message = inbound("document", html, "text/html", filename="../pedido <1>.html")
    response = login_as(shop.a_user, shop.a).get(f"/media/{message.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    # Stored sanitized (no <>, quotes, slashes), accents kept (RFC 5987 filename*).
    assert 'filename="_pedido _1_.html"' in response.headers["Content-Disposition"]
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_retention_expires_then_refetches_while_meta_has_it_else_410(
    shop, inbound, db, login_as, app
):
    message = inbound("image", PNG, "image/png")
    row = media_of(db, message)
    path = shop.media_dir / row.storage_key
    assert path.exists()
    # Not due yet: nothing happens.
    assert retention.expire_due() == 0
    later = utcnow() + timedelta(days=app.config["MEDIA_RETENTION_DAYS"], minutes=1)
    assert retention.expire_due(now=later) == 1
    row = media_of(db, message)
    assert (row.status, row.storage_key) == (MediaStatus.EXPIRED, None)
    assert not path.exists()

    http = login_as(shop.a_user, shop.a)
    response = http.get(f"/media/{message.id}")  # Meta still has it: fetched again
    assert response.status_code == 200 and response.data == PNG
    assert shop.sandbox.media[message.sandbox_media_id]["downloads"] == 2
    assert media_of(db, message).status == MediaStatus.STORED

    assert retention.expire_due(now=later + timedelta(days=app.config["MEDIA_RETENTION_DAYS"])) == 1
    saved = shop.sandbox.media.pop(message.sandbox_media_id)  # Meta's media id expired too
    response = http.get(f"/media/{message.id}")
    assert response.status_code == 410
    body = response.get_json()
    assert body["error"]["code"] == "media_expired"
    assert body["error"]["message"].startswith("Mídia expirada")
    assert media_of(db, message).status == MediaStatus.FAILED
    # Once Meta said "not found", it is not asked again on every view.
    shop.sandbox.media[message.sandbox_media_id] = saved
    assert http.get(f"/media/{message.id}").status_code == 410
    assert saved["downloads"] == 2


def test_a_file_shared_by_two_messages_is_kept_while_one_still_uses_it(shop, inbound, db, app):
    first = inbound("image", PNG, "image/png")
    second = inbound("image", PNG, "image/png", from_="5511911112222")
    a, b = media_of(db, first), media_of(db, second)
    assert a.storage_key == b.storage_key
    b.expires_at = utcnow() + timedelta(days=365)
    db.session.commit()
    assert retention.expire_due(now=utcnow() + timedelta(days=100)) == 1
    assert (shop.media_dir / b.storage_key).exists()  # the second message still needs it


def test_media_of_a_second_number_uses_that_numbers_credential(
    shop, inbound, db, create_whatsapp_credential
):
    account = shop.sandbox.create_account(access_token="support-token")
    support = create_whatsapp_credential(shop.a, account, display_name="Suporte")
    shop.number.status = "INVALID"  # the first number's token is refused by Meta
    db.session.commit()
    message = inbound("image", PNG, "image/png", to=support.phone_number_id)
    assert message.number_id == support.id
    assert media_of(db, message).status == MediaStatus.STORED


def test_the_retention_job_is_registered(app):
    job = next(j for j in periodic_jobs(app) if j.id == "media.expire")
    assert job.func == "clickpro.tasks.media.expire"
    assert job.interval(app) == app.config["MEDIA_RETENTION_INTERVAL_S"]
