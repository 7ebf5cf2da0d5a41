"""Login: one message for every failure, lockout, CSRF, logout, safe ``next``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clickpro.models import User
from clickpro.models.base import utcnow

PASSWORD = "senha-segura-123"
FAILURE = "E-mail ou senha inválidos"


def _login(client, email, password, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(
        "/login" + (f"?{query}" if query else ""), data={"email": email, "password": password}
    )


def _failure_text(response) -> str:
    text = response.get_data(as_text=True)
    start = text.index(FAILURE)
    return text[start : text.index("<", start)]


def test_wrong_password_and_unknown_email_get_the_same_answer(client, create_client):
    tenant = create_client()
    wrong = _login(client, tenant.admin.email, "errada-123")
    unknown = _login(client, "nobody@example.com", "errada-123")
    assert wrong.status_code == unknown.status_code == 401
    assert _failure_text(wrong) == _failure_text(unknown)
    assert "nobody@example.com" not in _failure_text(unknown)


def test_right_password_logs_in(client, create_client):
    tenant = create_client("Mercadinho")
    response = _login(client, tenant.admin.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Mercadinho" in client.get("/").get_data(as_text=True)


def test_lockout_after_max_failures_then_unlocks(make_app, create_client, db, monkeypatch):
    """The account-wide lock (throttle off here: see test_signin_attacks for it)."""
    app = make_app(LOGIN_THROTTLE_PER_ACCOUNT=100, LOGIN_MAX_FAILURES=5)
    client = app.test_client()
    tenant = create_client()
    email = tenant.admin.email
    for _ in range(5):
        assert _login(client, email, "errada-123").status_code == 401
    db.session.expire_all()
    user = db.session.get(User, tenant.admin.id)
    assert user.locked_until is not None
    # Locked: even the right password is refused, with the same message.
    locked = _login(client, email, PASSWORD)
    assert locked.status_code == 401
    assert FAILURE in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302

    # Fourteen minutes later: still locked. Sixteen: the right password works.
    import clickpro.services.accounts.service as accounts

    real_now = utcnow()
    monkeypatch.setattr(accounts, "utcnow", lambda: real_now + timedelta(minutes=14))
    assert _login(client, email, PASSWORD).status_code == 401
    monkeypatch.setattr(accounts, "utcnow", lambda: real_now + timedelta(minutes=16))
    assert _login(client, email, PASSWORD).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, tenant.admin.id).failed_logins == 0


def test_four_failures_do_not_lock(client, create_client):
    tenant = create_client()
    for _ in range(4):
        _login(client, tenant.admin.email, "errada-123")
    assert _login(client, tenant.admin.email, PASSWORD).status_code == 302


def test_inactive_user_cannot_log_in(client, create_client, db):
    tenant = create_client()
    tenant.admin.is_active = False
    db.session.commit()
    assert _login(client, tenant.admin.email, PASSWORD).status_code == 401


def test_csrf_missing_is_400(make_app, create_client):
    app = make_app(WTF_CSRF_ENABLED=True)
    tenant = create_client()
    http = app.test_client()
    response = http.post("/login", data={"email": tenant.admin.email, "password": PASSWORD})
    assert response.status_code == 400
    # With the token from the form it works.
    page = http.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = http.post(
        "/login", data={"email": tenant.admin.email, "password": PASSWORD, "csrf_token": token}
    )
    assert ok.status_code == 302


def test_logout_is_post_and_ends_the_session(client, create_client):
    tenant = create_client()
    _login(client, tenant.admin.email, PASSWORD)
    assert client.get("/").status_code == 200
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.com/",
        "//evil.example.com/",
        "http:/evil.example.com",
        "javascript:alert(1)",
        "/\\evil.example.com",
    ],
)
def test_open_redirect_next_is_refused(client, create_client, target):
    from urllib.parse import quote

    tenant = create_client()
    response = _login(client, tenant.admin.email, PASSWORD, next=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_local_next_is_followed(client, create_client):
    tenant = create_client()
    response = _login(client, tenant.admin.email, PASSWORD, next="%2Fnotifications")
    assert response.headers["Location"] == "/notifications"


def test_login_form_has_the_contract_fields(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    page = app.test_client().get("/login").get_data(as_text=True)
    for field in ('name="email"', 'name="password"', 'name="csrf_token"'):
        assert field in page
