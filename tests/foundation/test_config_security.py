"""Production refuses unsafe settings; cookies and headers; /healthz."""

from __future__ import annotations

import pytest

from clickpro import ConfigurationError, create_app
from clickpro.config import DEFAULT_ENCRYPTION_KEY, DEFAULT_SECRET_KEY

GOOD_KEY = "dGVzdC1vbmx5LWNsaWNrcHJvLWtleS0zMi1ieXRlcyE="


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "CLICKPRO_ENCRYPTION_KEYS", "REDIS_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-key-for-production")
    monkeypatch.setenv("CLICKPRO_ENCRYPTION_KEYS", GOOD_KEY)
    return monkeypatch


def test_production_starts_with_real_secrets(production_env):
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["EMBEDDED"] is False


@pytest.mark.parametrize(
    "value", [None, DEFAULT_SECRET_KEY, "change-me-to-a-long-random-string", "short"]
)
def test_production_refuses_default_secret_key(production_env, value):
    if value is None:
        production_env.delenv("SECRET_KEY")
    else:
        production_env.setenv("SECRET_KEY", value)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app("production")


@pytest.mark.parametrize(
    "value", [None, DEFAULT_ENCRYPTION_KEY, "not-a-fernet-key", f"{GOOD_KEY},bad"]
)
def test_production_refuses_missing_or_invalid_encryption_keys(production_env, value):
    if value is None:
        production_env.delenv("CLICKPRO_ENCRYPTION_KEYS")
    else:
        production_env.setenv("CLICKPRO_ENCRYPTION_KEYS", value)
    with pytest.raises(ConfigurationError, match="CLICKPRO_ENCRYPTION_KEYS"):
        create_app("production")


def test_session_cookie_flags(client, create_client):
    tenant = create_client()
    response = client.post(
        "/login", data={"email": tenant.admin.email, "password": "senha-segura-123"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development/testing over plain HTTP


def test_secure_cookie_and_hsts_when_secure(make_app, create_client):
    app = make_app(SESSION_COOKIE_SECURE=True)
    tenant = create_client()
    response = app.test_client().post(
        "/login", data={"email": tenant.admin.email, "password": "senha-segura-123"}
    )
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_security_headers_on_every_page(client):
    for path in ("/login", "/healthz", "/does-not-exist"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"]


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_healthz_503_when_redis_down(app, client, monkeypatch):
    import redis

    def broken_ping(*args, **kwargs):
        raise redis.ConnectionError("down")

    monkeypatch.setattr(app.extensions["clickpro.redis"], "ping", broken_ping)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("error")


def test_healthz_503_when_database_down(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("error")
    assert response.json["status"] == "unavailable"
