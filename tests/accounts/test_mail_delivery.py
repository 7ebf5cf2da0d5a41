"""Outgoing e-mail: SMTP through a real local server, retries, the embedded outbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from rq import Queue

from clickpro.models.base import utcnow
from clickpro.services.mail import MailError, send_mail
from clickpro.services.mail.queue import enqueue_mail
from clickpro.tasks import make_worker, redis_connection


def test_text_and_html_in_both_languages(app, inbox):
    expires = utcnow()
    context = dict(
        link="http://clickpro.test/invite/abc",
        client_name="Loja <b>X</b>",
        inviter_name="",
        is_admin_role=False,
        expires_at=expires,
        email="a@example.com",
    )
    assert send_mail("a@example.com", "invitation_new", "pt_BR", **context) == "smtp"
    assert send_mail("a@example.com", "invitation_new", "en_US", **context) == "smtp"
    pt, en = inbox.wait_for(2)
    assert pt["Subject"] == "Convite para a equipe de Loja <b>X</b> no ClickPro"
    assert en["Subject"] == "You are invited to the Loja <b>X</b> team on ClickPro"
    assert pt["From"] == app.config["MAIL_FROM"] and pt["Message-ID"]
    assert "atendente" in inbox.text(pt) and "an agent" in inbox.text(en)
    # HTML is escaped; the text part is plain.
    assert "Loja &lt;b&gt;X&lt;/b&gt;" in inbox.html(pt)
    assert "Loja <b>X</b>" in inbox.text(pt)
    assert inbox.link(pt) == "/invite/abc"


def test_starttls_is_required_unless_turned_off(app, smtp_server):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    with pytest.raises(MailError, match="STARTTLS"):
        send_mail("a@example.com", "password_reset", "pt_BR", link="x", name="A", minutes=60)
    assert smtp_server.mails == []


def test_unreachable_server_is_an_error(app, closed_port):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port}?starttls=off"
    with pytest.raises(MailError, match="SMTP delivery failed"):
        send_mail("a@example.com", "password_reset", "pt_BR", link="x", name="A", minutes=60)


def test_a_failed_mail_job_is_retried_with_backoff(app, create_user, inbox, closed_port):
    create_user("maria@example.com")
    app.config.update(
        RQ_ASYNC=True,
        SMTP_URL=f"smtp://127.0.0.1:{closed_port}?starttls=off",
        MAIL_MAX_ATTEMPTS=3,
        MAIL_RETRY_BASE_S=30,
    )
    enqueue_mail("mail.send_password_reset", "maria@example.com", "http://clickpro.test", None)
    queue = Queue("default", connection=redis_connection(app))
    (job,) = queue.get_jobs()
    assert job.retries_left == 2 and job.retry_intervals == [30, 60]
    make_worker(app, ["default"]).work(burst=True)
    job.refresh()
    assert job.get_status() == "scheduled" and job.retries_left == 1
    # The server is back: the retry (run now instead of in 30 s) delivers.
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}?starttls=off"
    queue.enqueue_job(job)
    make_worker(app, ["default"]).work(burst=True)
    job.refresh()
    assert job.get_status() == "finished" and job.return_value() == "smtp"
    assert inbox.to("maria@example.com")


def test_embedded_mode_writes_eml_files_listed_on_dev_mail(
    make_app, create_client, login_as, tmp_path
):
    shop = create_client("Loja Demo")
    http = login_as(shop.admin, shop)
    app = http.application
    app.config.update(SMTP_URL=None, EMBEDDED=True)
    invited = http.post(
        "/members", data={"email": "nova@example.com", "role": "CLIENT_USER"}, follow_redirects=True
    )
    assert "o e-mail está em /_dev/mail" in invited.get_data(as_text=True)
    files = list(Path(app.config["MAIL_DIR"]).glob("*.eml"))
    assert len(files) == 1
    anonymous = app.test_client()
    listing = anonymous.get("/_dev/mail").get_data(as_text=True)
    assert "Convite para a equipe de Loja Demo" in listing and "nova@example.com" in listing
    name = files[0].stem
    detail = anonymous.get(f"/_dev/mail/{name}").get_data(as_text=True)
    assert "/invite/" in detail
    html = anonymous.get(f"/_dev/mail/{name}/html")
    assert (
        html.status_code == 200 and "default-src 'none'" in html.headers["Content-Security-Policy"]
    )
    assert anonymous.get("/_dev/mail/..%2F..%2Fclickpro").status_code == 404
    assert anonymous.get("/_dev/mail/20260101T000000-deadbeef").status_code == 404
    # The link in the file works.
    link = detail.split("http://clickpro.test", 1)[1].split('"', 1)[0].split("<", 1)[0]
    assert anonymous.get(link.strip()).status_code == 200
    # The "check your inbox" page of the demo points at the outbox.
    assert "demo-outbox" in anonymous.get("/forgot-password/sent").get_data(as_text=True)
    app.config["SMTP_URL"] = "smtp://mail.example:587"
    assert "demo-outbox" not in anonymous.get("/forgot-password/sent").get_data(as_text=True)


def test_dev_mail_outside_embedded_mode_is_for_the_super_admin(
    app, create_user, create_client, login_as
):
    app.config["EMBEDDED"] = False
    shop = create_client()
    assert app.test_client().get("/_dev/mail").status_code == 404
    assert login_as(shop.admin, shop).get("/_dev/mail").status_code == 404
    root = create_user("root@example.com", is_super_admin=True)
    assert login_as(root).get("/_dev/mail").status_code == 200


def test_dev_mail_is_404_in_the_production_config(make_app, create_user, login_as):
    production = make_app(
        CONFIG_NAME="production",
        SECRET_KEY="a-production-secret-key-0123456789",
        REDIS_URL="redis://127.0.0.1:6379/7",
        EMBEDDED=True,  # even forced on
    )
    production.config["SESSION_COOKIE_SECURE"] = False
    assert production.test_client().get("/_dev/mail").status_code == 404
    assert production.test_client().get("/_dev/mail/x/html").status_code == 404


def test_production_never_builds_links_from_the_host_header(app, create_client, login_as, inbox):
    app.config.update(ENV_NAME="production", PUBLIC_URL=None)
    shop = create_client()
    http = login_as(shop.admin, shop)
    response = http.post("/members", data={"email": "nova@example.com", "role": "CLIENT_USER"})
    assert response.status_code == 400 and "PUBLIC_URL" in response.get_data(as_text=True)
    reset = app.test_client().post(
        "/forgot-password", data={"email": shop.admin.email}, headers={"Host": "evil.example"}
    )
    assert reset.status_code == 302  # the same answer, and no mail
    assert inbox.mails == []
