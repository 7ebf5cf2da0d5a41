"""Sign-in attacked as an attacker would (issue 14, "Sign-in and sessions").

* parallel wrong passwords against a real threaded server: every failure is counted and
  a right password racing the burst is refused once the lock is set;
* the throttle: one address cannot brute-force, nor lock a known e-mail out for others;
* a saved session cookie stops working after logout, password change or deactivation.

The parallel tests run on SQLite and, with ``TEST_DATABASE_URL``, on PostgreSQL.
"""

from __future__ import annotations

import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

from clickpro.models import User
from clickpro.models.base import utcnow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inbox"))
from live_helpers import ServerThread  # noqa: E402

PASSWORD = "senha-segura-123"
WRONG = "errada-123"
NO_THROTTLE = {"LOGIN_THROTTLE_PER_IP": 10_000, "LOGIN_THROTTLE_PER_ACCOUNT": 10_000}


def _post_login(url: str, email: str, password: str) -> int:
    response = requests.post(
        f"{url}/login", data={"email": email, "password": password}, allow_redirects=False
    )
    return response.status_code


def _fresh_user(db, user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


# ----------------------------------------------------------------- atomic failure counter


def test_parallel_wrong_passwords_are_all_counted(make_app, create_client, db):
    """Before: 30 parallel wrong passwords left ``failed_logins`` at 3 (lost updates)."""
    server_app = make_app(LOGIN_MAX_FAILURES=1000, **NO_THROTTLE)
    tenant = create_client()
    email = tenant.admin.email
    with ServerThread(server_app) as server, ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(lambda _: _post_login(server.url, email, WRONG), range(30)))
    assert codes == [401] * 30
    assert _fresh_user(db, tenant.admin.id).failed_logins == 30


def test_burst_locks_and_a_racing_right_password_is_refused(make_app, create_client, db):
    """Before: the 35th request of a burst of 40 logged in with the right password.

    40 requests in parallel; the right password is sent once five wrong ones have been
    answered (so at least five failures happened before it): it must be refused.
    """
    server_app = make_app(LOGIN_MAX_FAILURES=5, **NO_THROTTLE)
    tenant = create_client()
    email = tenant.admin.email
    answered = threading.Semaphore(0)

    def wrong(_):
        code = _post_login(server.url, email, WRONG)
        answered.release()
        return code

    def right():
        for _ in range(5):
            answered.acquire()
        return _post_login(server.url, email, PASSWORD)

    with ServerThread(server_app) as server, ThreadPoolExecutor(40) as pool:
        wrongs = [pool.submit(wrong, i) for i in range(39)]
        right_code = pool.submit(right).result()
        codes = [f.result() for f in wrongs]
    assert set(codes) == {401}
    assert right_code == 401, "a right password raced the lockout and got in"
    user = _fresh_user(db, tenant.admin.id)
    assert user.locked_until is not None and user.locked_until > utcnow()
    assert user.last_login_at is None


def test_lock_is_temporary_and_failures_while_locked_do_not_extend_it(
    client, make_app, create_client, db, monkeypatch
):
    import clickpro.services.accounts.service as accounts

    tenant = create_client()
    email = tenant.admin.email
    for n in range(20):  # LOGIN_MAX_FAILURES, from 20 different addresses
        client.post(
            "/login",
            data={"email": email, "password": WRONG},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"},
        )
    user = _fresh_user(db, tenant.admin.id)
    locked_until = user.locked_until
    assert locked_until is not None
    # More failures while locked: not counted, the lock is not pushed further.
    client.post("/login", data={"email": email, "password": WRONG})
    assert _fresh_user(db, tenant.admin.id).locked_until == locked_until
    refused = client.post("/login", data={"email": email, "password": PASSWORD})
    assert refused.status_code == 401
    real_now = utcnow()
    monkeypatch.setattr(accounts, "utcnow", lambda: real_now + timedelta(minutes=16))
    ok = client.post(
        "/login",
        data={"email": email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert ok.status_code == 302
    assert _fresh_user(db, tenant.admin.id).failed_logins == 0


# ----------------------------------------------------------------------------- throttle


def _attempt(client, email, password, ip="192.0.2.10"):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def test_one_address_is_throttled_on_an_account_and_told_when_to_retry(client, create_client):
    tenant = create_client()
    email = tenant.admin.email
    for _ in range(5):  # LOGIN_THROTTLE_PER_ACCOUNT
        assert _attempt(client, email, WRONG).status_code == 401
    throttled = _attempt(client, email, PASSWORD)  # even the right password waits
    assert throttled.status_code == 429
    retry_after = int(throttled.headers["Retry-After"])
    assert 14 * 60 < retry_after <= 15 * 60
    text = throttled.get_data(as_text=True)
    assert "Tente de novo em 15 minutos." in text
    # The failure message states the settings' numbers.
    failed = _attempt(client, "someone@example.com", WRONG, ip="192.0.2.99")
    assert "Após 5 tentativas erradas" in failed.get_data(as_text=True)
    assert "bloqueadas por 15 minutos" in failed.get_data(as_text=True)


def test_an_attacker_cannot_lock_a_known_email_out(client, create_client, db):
    """Before: five wrong passwords from anywhere locked the account for everyone."""
    tenant = create_client()
    email = tenant.admin.email
    for _ in range(50):  # the attacker keeps trying from one address
        _attempt(client, email, WRONG, ip="192.0.2.66")
    user = _fresh_user(db, tenant.admin.id)
    assert user.locked_until is None and user.failed_logins == 5  # the rest were throttled
    # The owner, from their own address, signs in.
    assert _attempt(client, email, PASSWORD, ip="203.0.113.20").status_code == 302


def test_a_successful_sign_in_clears_the_account_window(client, create_client):
    tenant = create_client()
    email = tenant.admin.email
    for _ in range(4):
        _attempt(client, email, WRONG)
    assert _attempt(client, email, PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(4):
        assert _attempt(client, email, WRONG).status_code == 401


def test_one_address_cannot_spray_passwords_over_many_accounts(make_app, create_client):
    app = make_app(LOGIN_THROTTLE_PER_IP=12)
    http = app.test_client()
    codes = [
        _attempt(http, f"user{n}@example.com", WRONG, ip="192.0.2.77").status_code
        for n in range(15)
    ]
    assert codes == [401] * 12 + [429] * 3
    # Another address is not affected.
    assert _attempt(http, "user1@example.com", WRONG, ip="192.0.2.78").status_code == 401


def test_a_parallel_burst_cannot_slip_past_the_throttle(make_app, create_client, db):
    server_app = make_app(LOGIN_MAX_FAILURES=1000)
    tenant = create_client()
    email = tenant.admin.email
    with ServerThread(server_app) as server, ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(lambda _: _post_login(server.url, email, WRONG), range(30)))
    assert codes.count(401) == 5 and codes.count(429) == 25
    assert _fresh_user(db, tenant.admin.id).failed_logins == 5


def test_throttle_uses_redis_when_redis_url_is_set(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:6379/7", EMBEDDED=True)
    storage = app.extensions["clickpro.login_limiter"].storage
    assert type(storage).__name__.startswith("Redis")
    default = make_app(REDIS_URL=None)
    assert type(default.extensions["clickpro.login_limiter"].storage).__name__.startswith("Memory")


# ----------------------------------------------------------------------- server sessions


def _cookie_of(http) -> str:
    cookie = http.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def _signed_in(app, email: str):
    http = app.test_client()
    assert http.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return http


def test_a_saved_cookie_stops_working_after_logout(app, create_client):
    tenant = create_client()
    http = _signed_in(app, tenant.admin.email)
    saved = _cookie_of(http)
    assert _with_cookie(app, saved).get("/").status_code == 200
    http.post("/logout")
    replay = _with_cookie(app, saved).get("/")
    assert replay.status_code == 302 and "/login" in replay.headers["Location"]


def test_a_saved_cookie_stops_working_after_a_password_change(app, create_client, db):
    tenant = create_client()
    saved = _cookie_of(_signed_in(app, tenant.admin.email))
    user = db.session.get(User, tenant.admin.id)
    user.set_password("outra-senha-456")
    db.session.commit()
    assert _with_cookie(app, saved).get("/").status_code == 302


def test_a_deactivated_member_cookie_is_dead_and_tokens_revoked(
    app, create_client, create_member, db
):
    from clickpro.models import ApiToken, ClientMember, Role
    from clickpro.services.api.tokens import create_token

    tenant = create_client()
    member = create_member(tenant, Role.CLIENT_ADMIN)
    _token, raw = create_token(tenant.id, "integração", user_id=member.id)
    _other, other_raw = create_token(tenant.id, "do admin", user_id=tenant.admin.id)
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {raw}"}
    assert api.get("/api/v1/contacts", headers=bearer).status_code == 200
    saved = _cookie_of(_signed_in(app, member.email))

    admin = _signed_in(app, tenant.admin.email)
    page = admin.get("/members").get_data(as_text=True)
    assert "Ao desativar, 1 token de API será revogado" in page
    membership = db.session.query(ClientMember).filter_by(user_id=member.id).one()
    done = admin.post(f"/members/{membership.id}/deactivate", follow_redirects=True)
    assert "1 token(s) de API" in done.get_data(as_text=True)

    replay = _with_cookie(app, saved).get("/contacts")
    assert replay.status_code == 302 and "/login" in replay.headers["Location"]
    assert api.get("/api/v1/contacts", headers=bearer).status_code == 401
    other = {"Authorization": f"Bearer {other_raw}"}
    assert api.get("/api/v1/contacts", headers=other).status_code == 200
    db.session.expire_all()
    assert db.session.query(ApiToken).filter_by(created_by_id=member.id).one().revoked_at


def test_session_id_in_cookie_is_validated(app, create_client):
    tenant = create_client()
    for forged in (str(tenant.admin.id), f"{tenant.admin.id}:x", f"{tenant.admin.id}:99", "1" * 60):
        http = app.test_client()
        with http.session_transaction() as session:
            session["_user_id"] = forged
        assert http.get("/").status_code == 302, forged


def test_failed_answers_never_reveal_a_locked_or_existing_account(client, create_client):
    tenant = create_client()
    email = tenant.admin.email
    for n in range(20):
        _attempt(client, email, WRONG, ip=f"198.51.100.{n + 1}")
    locked = _attempt(client, email, PASSWORD, ip="203.0.113.1")
    unknown = _attempt(client, "ninguem@example.com", PASSWORD, ip="203.0.113.2")
    assert locked.status_code == unknown.status_code == 401

    def message(response):
        return re.search(r"E-mail ou senha inválidos[^<]*", response.get_data(as_text=True))[0]

    assert message(locked) == message(unknown)


def test_behind_the_proxy_each_visitor_has_its_own_window(client, create_client, monkeypatch):
    """Behind the reverse proxy every request comes from its address: without reading
    its X-Forwarded-For hop, one attacker would throttle everybody."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.2")
    tenant = create_client()
    email = tenant.admin.email

    def via_proxy(password, visitor, peer="10.0.0.2"):
        return client.post(
            "/login",
            data={"email": email, "password": password},
            environ_base={"REMOTE_ADDR": peer},
            headers={"X-Forwarded-For": f"{visitor}"},
        )

    for _ in range(5):
        via_proxy(WRONG, "198.51.100.7")
    assert via_proxy(WRONG, "198.51.100.7").status_code == 429
    assert via_proxy(PASSWORD, "203.0.113.8").status_code == 302
    # A forged header from a peer that is not the proxy is ignored: the peer counts.
    for n in range(6):
        last = via_proxy(WRONG, f"192.0.2.{n + 1}", peer="198.51.100.50")
    assert last.status_code == 429
