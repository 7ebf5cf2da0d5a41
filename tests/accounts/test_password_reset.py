"""The "Esqueci minha senha" flow: one answer for every e-mail, a link valid 1 h that works once."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

import clickpro.services.accounts.password_reset as reset_module
from clickpro.models import PasswordResetToken
from clickpro.models.base import utcnow

OLD = "senha-segura-123"  # tests/conftest.py create_user's default
NEW = "girassol-azul-77"
CSRF_META = re.compile(r'<meta name="csrf-token" content="[^"]*">')


def _ask(http, email):
    return http.post("/forgot-password", data={"email": email})


def _set(http, link, password, confirm=None):
    return http.post(link, data={"password": password, "confirm": confirm or password})


def test_login_page_links_to_the_reset(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in page and "Esqueci minha senha" in page


def test_reset_by_email_works_once(app, create_user, inbox, db, sign_in):
    user = create_user("maria@example.com", name="Maria")
    elsewhere = sign_in("maria@example.com", OLD)
    http = app.test_client()
    response = _ask(http, "Maria@Example.com ")
    assert response.status_code == 302 and response.headers["Location"] == "/forgot-password/sent"
    (mail,) = inbox.wait_for(1)
    assert mail["To"] == "maria@example.com"
    assert mail["Subject"] == "Redefinir sua senha do ClickPro"
    assert "Olá, Maria!" in inbox.text(mail) and "60 minutos" in inbox.text(mail)
    link = inbox.link(mail)
    assert link.startswith("/reset-password/")
    assert link.rsplit("/", 1)[1] not in db.session.scalar(
        sa.select(PasswordResetToken.token_sha256)
    )

    form = http.get(link)
    assert form.status_code == 200 and "maria@example.com" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert form.headers["Cache-Control"] == "no-store"
    done = _set(http, link, NEW)
    assert done.status_code == 302 and done.headers["Location"] == "/login"

    # The new password works, the old does not; the other session ended.
    assert sign_in("maria@example.com", NEW).get("/invitations").status_code == 200
    assert (
        http.post("/login", data={"email": "maria@example.com", "password": OLD}).status_code == 401
    )
    assert elsewhere.get("/invitations").status_code == 302
    # The link works once.
    assert http.get(link).status_code == 404
    assert _set(http, link, "outra-senha-boa-9").status_code == 404
    db.session.expire_all()
    assert user.check_password(NEW)


def test_no_email_enumeration(app, create_user, inbox):
    create_user("existe@example.com")
    answers = []
    for email in ("existe@example.com", "nao-existe@example.com"):
        http = app.test_client()
        response = _ask(http, email)
        page = http.get(response.headers["Location"])
        body = CSRF_META.sub("", page.get_data(as_text=True))  # the session's own token
        answers.append((response.status_code, response.headers["Location"], page.status_code, body))
    assert answers[0] == answers[1]
    inbox.wait_for(1)
    assert len(inbox.mails) == 1 and inbox.to("existe@example.com")


def test_a_deactivated_account_gets_no_mail(app, create_user, inbox, db):
    user = create_user("saiu@example.com")
    user.is_active = False
    db.session.commit()
    assert _ask(app.test_client(), "saiu@example.com").status_code == 302
    assert inbox.mails == []


def test_the_link_expires_after_one_hour(app, create_user, inbox, monkeypatch):
    create_user("maria@example.com")
    http = app.test_client()
    _ask(http, "maria@example.com")
    link = inbox.link(inbox.wait_for(1)[0])
    start = utcnow()
    monkeypatch.setattr(reset_module, "utcnow", lambda: start + timedelta(minutes=59))
    assert http.get(link).status_code == 200
    monkeypatch.setattr(reset_module, "utcnow", lambda: start + timedelta(minutes=61))
    assert http.get(link).status_code == 404
    assert _set(http, link, NEW).status_code == 404


def test_throttled_the_same_for_known_and_unknown(app, create_user, inbox):
    app.config.update(PASSWORD_RESET_THROTTLE_PER_ACCOUNT=2, PASSWORD_RESET_THROTTLE_PER_IP=8)
    create_user("existe@example.com")
    http = app.test_client()
    answers = {}
    for email in ("existe@example.com", "nao-existe@example.com"):
        responses = [_ask(http, email) for _ in range(3)]
        answers[email] = [r.status_code for r in responses]
        assert int(responses[-1].headers["Retry-After"]) > 0
        assert "Muitos pedidos de redefinição" in responses[-1].get_data(as_text=True)
    assert answers["existe@example.com"] == answers["nao-existe@example.com"] == [302, 302, 429]
    assert len(inbox.wait_for(2)) == 2  # the throttled request sent nothing
    # Per address, whatever the e-mail: 6 counted so far (refused ones too), 2 more pass.
    assert _ask(http, "terceira@example.com").status_code == 302
    assert _ask(http, "quarta@example.com").status_code == 302
    assert _ask(http, "quinta@example.com").status_code == 429


def test_a_refused_password_keeps_the_link(app, create_user, inbox):
    create_user("maria@example.com")
    http = app.test_client()
    _ask(http, "maria@example.com")
    link = inbox.link(inbox.wait_for(1)[0])
    common = _set(http, link, "qwertyuiop")
    assert common.status_code == 400 and "mais usadas" in common.get_data(as_text=True)
    assert _set(http, link, "curta").status_code == 400
    assert _set(http, link, NEW, "diferente-1234").status_code == 400
    assert _set(http, link, NEW).status_code == 302


def test_using_one_link_kills_the_others(app, create_user, inbox):
    create_user("maria@example.com")
    http = app.test_client()
    _ask(http, "maria@example.com")
    _ask(http, "maria@example.com")
    first, second = (inbox.link(m) for m in inbox.wait_for(2))
    assert _set(http, second, NEW).status_code == 302
    assert http.get(first).status_code == 404


def test_reset_unlocks_a_locked_account(app, create_user, inbox, db, sign_in):
    user = create_user("maria@example.com")
    user.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    http = app.test_client()
    _ask(http, "maria@example.com")
    assert _set(http, inbox.link(inbox.wait_for(1)[0]), NEW).status_code == 302
    sign_in("maria@example.com", NEW)


def test_english_mail_for_an_english_account(app, create_user, inbox, db):
    user = create_user("john@example.com", name="John")
    user.locale = "en"
    db.session.commit()
    _ask(app.test_client(), "john@example.com")
    (mail,) = inbox.wait_for(1)
    assert mail["Subject"] == "Reset your ClickPro password"
    assert "Hello, John!" in inbox.text(mail) and "60 minutes" in inbox.text(mail)
    assert mail["Content-Language"] == "en"
