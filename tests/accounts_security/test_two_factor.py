"""TOTP two-factor sign-in: second step, replay, recovery codes, enforcement, disabling."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from security_helpers import PASSWORD, SECRET, T0, at, code_at, entries, is_signed_in
from security_helpers import password_step as login

from clickpro.crypto import decrypt
from clickpro.extensions import db
from clickpro.models import RecoveryCode, Role, User


def _challenge(client, code: str):
    return client.post("/login/two-factor", data={"code": code})


def test_password_alone_does_not_sign_in_a_2fa_user(client, create_user, enroll):
    user = create_user("ana@example.com")
    enroll(user)
    with at(T0):
        response = login(client, "ana@example.com")
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/login/two-factor")
        assert not is_signed_in(client)  # the pending state is not a session
        assert client.get("/admin/").status_code == 302  # nor Flask-Admin's
        page = client.get("/login/two-factor")
        assert page.status_code == 200 and 'name="code"' in page.get_data(as_text=True)


def test_totp_sign_in_with_a_fixed_clock(client, create_client, enroll):
    tenant = create_client()
    user = tenant.admin
    enroll(user)
    with at(T0) as clock:
        login(client, user.email)
        wrong = _challenge(client, "000000" if code_at(T0) != "000000" else "111111")
        assert wrong.status_code == 401 and not is_signed_in(client)
        # the previous step's code is still accepted (clock drift of one step)
        ok = _challenge(client, code_at(T0 - 30))
        assert ok.status_code == 302 and ok.headers["Location"].endswith("/")
        assert is_signed_in(client)
        client.post("/logout")

        # the code of a step already used (or an older one) never signs in again
        login(client, user.email)
        assert _challenge(client, code_at(T0 - 30)).status_code == 401
        assert _challenge(client, code_at(T0)).status_code == 302  # a newer step: fine
        client.post("/logout")
        login(client, user.email)
        assert _challenge(client, code_at(T0)).status_code == 401  # reused within its window
        clock.tick(30)
        assert _challenge(client, code_at(T0 + 30)).status_code == 302
        # too far from the server's clock: two steps off
        client.post("/logout")
        login(client, user.email)
        assert _challenge(client, code_at(T0 + 120)).status_code == 401

    sign_ins = entries("auth.sign_in")
    assert [e.details["method"] for e in sign_ins] == ["totp", "totp", "totp"]
    assert all(e.client_id == tenant.id and e.actor_user_id == user.id for e in sign_ins)
    assert len(entries("auth.two_factor_failed")) == 4


def test_pending_state_expires(app, client, create_user, enroll):
    user = create_user()
    enroll(user)
    with at(T0) as clock:
        login(client, user.email)
        clock.tick(app.config["TWO_FACTOR_PENDING_SECONDS"] + 1)
        response = _challenge(client, code_at(T0 + app.config["TWO_FACTOR_PENDING_SECONDS"] + 1))
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert not is_signed_in(client)


def test_no_pending_state_no_code_step(client):
    response = _challenge(client, "123456")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_wrong_codes_are_throttled_per_account(app, client, create_user, enroll):
    user = create_user()
    enroll(user)
    limit = app.config["TWO_FACTOR_MAX_ATTEMPTS"]
    with at(T0):
        login(client, user.email)
        for _ in range(limit):
            assert _challenge(client, "999999").status_code in (401, 302)
        blocked = _challenge(client, code_at(T0))
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
        assert not is_signed_in(client)


def test_recovery_code_works_once(client, create_client, enroll):
    tenant = create_client()
    codes = enroll(tenant.admin)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    with at(T0):
        login(client, tenant.admin.email)
        response = _challenge(client, codes[3].upper().replace("-", " "))  # typed loosely
        assert response.status_code == 302 and is_signed_in(client)
        client.post("/logout")
        login(client, tenant.admin.email)
        assert _challenge(client, codes[3]).status_code == 401
        assert not is_signed_in(client)
    used = entries("two_factor.recovery_code_used")
    assert len(used) == 1 and used[0].details["left"] == 9
    assert entries("auth.sign_in")[0].details["method"] == "recovery"


def test_secret_and_recovery_codes_stored_only_encrypted_or_hashed(db, create_user, enroll):
    user = create_user()
    codes = enroll(user)
    raw = db.session.execute(
        sa.text("SELECT totp_secret_enc FROM users WHERE id = :id"), {"id": user.id}
    ).scalar()
    assert SECRET not in raw and decrypt(raw) == SECRET
    hashes = db.session.scalars(
        sa.select(RecoveryCode.code_sha256).where(RecoveryCode.user_id == user.id)
    ).all()
    assert len(hashes) == 10
    assert not any(code.replace("-", "") in h or code in h for code in codes for h in hashes)
    assert entries("two_factor.enabled")[0].actor_user_id == user.id  # the account itself


def _secret_on_page(html: str) -> str:
    match = re.search(r'data-testid="two-factor-secret">([A-Z2-7 ]+)<', html)
    assert match, "the manual key is shown"
    return match.group(1).replace(" ", "")


def test_enrollment_from_the_account(client, create_client, login_as):
    tenant = create_client()
    with at(T0):  # (a session cookie is valid for its lifetime on the frozen clock)
        login_as(tenant.admin, tenant)
        page = client.get("/account/two-factor").get_data(as_text=True)
        assert "<svg" in page and 'class="qr-code' in page  # the QR drawn locally
        secret = _secret_on_page(page)
        assert secret == _secret_on_page(client.get("/account/two-factor").get_data(as_text=True))
        refused = client.post("/account/two-factor/enable", data={"code": "12345a"})
        assert refused.status_code == 400
        done = client.post("/account/two-factor/enable", data={"code": code_at(T0, secret)})
        assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
        shown = re.findall(r"<li class=\"col\">([a-z2-9-]{14})</li>", done.get_data(as_text=True))
        assert len(shown) == 10
        # the page now manages it; the codes are never shown again
        manage = client.get("/account/two-factor").get_data(as_text=True)
    user = db.session.get(User, tenant.admin.id)
    assert user.two_factor_enabled and decrypt(user.totp_secret_enc) == secret
    (entry,) = entries("two_factor.enabled")
    assert entry.actor_user_id == user.id and entry.ip == "127.0.0.1"
    assert 'data-testid="two-factor-on"' in manage and shown[0] not in manage


def test_super_admin_must_enroll_before_anything_when_required(app, client, create_user):
    app.config["TWO_FACTOR_REQUIRED_FOR_SUPER_ADMIN"] = True
    create_user("root@example.com", is_super_admin=True)
    with at(T0):
        login(client, "root@example.com")  # no 2FA yet: the password signs in...
        for path in ("/admin/", "/admin/admin_users/", "/invitations"):
            response = client.get(path)
            assert response.status_code == 302, path  # ...but only to enroll
            assert response.headers["Location"].endswith("/account/two-factor")
        secret = _secret_on_page(client.get("/account/two-factor").get_data(as_text=True))
        client.post("/account/two-factor/enable", data={"code": code_at(T0, secret)})
        assert client.get("/admin/").status_code == 200
        # a required 2FA cannot be turned off
        client.post(
            "/account/two-factor/disable",
            data={"disable-password": PASSWORD, "disable-code": code_at(T0 + 30, secret)},
        )
    assert db.session.scalar(
        sa.select(User).where(User.email == "root@example.com")
    ).totp_enabled_at


def test_super_admin_not_forced_when_the_setting_is_off(app, client, create_user):
    assert app.config["TWO_FACTOR_REQUIRED_FOR_SUPER_ADMIN"] is False  # the testing class
    create_user("root@example.com", is_super_admin=True)
    login(client, "root@example.com")
    assert client.get("/admin/").status_code == 200


def test_client_enforcement_sends_members_to_enrollment(
    client, create_client, create_member, login_as
):
    tenant, other = create_client(), create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    outsider = create_member(other, Role.CLIENT_USER)
    login_as(tenant.admin, tenant)
    response = client.post("/audit/two-factor-policy", data={"require_two_factor": "on"})
    assert response.status_code == 302
    assert client.get("/contacts").status_code == 302  # the admin too: no 2FA yet
    (entry,) = entries("client.settings_changed")
    assert entry.client_id == tenant.id and entry.details["after"] is True

    login_as(agent, tenant)
    response = client.get("/contacts")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/account/two-factor"
    )
    assert client.get("/account/two-factor").status_code == 200
    login_as(outsider, other)
    assert client.get("/contacts").status_code == 200  # another client does not enforce


def test_client_user_cannot_change_the_policy(client, create_client, create_member, login_as):
    tenant = create_client()
    login_as(create_member(tenant, Role.CLIENT_USER), tenant)
    assert (
        client.post("/audit/two-factor-policy", data={"require_two_factor": "on"}).status_code
        == 403
    )
    assert entries("client.settings_changed") == []


@pytest.mark.parametrize(
    "password, code_ok, disabled",
    [("wrong-password", True, False), (PASSWORD, False, False), (PASSWORD, True, True)],
)
def test_disable_requires_password_and_code(
    client, create_client, enroll, login_as, password, code_ok, disabled
):
    tenant = create_client()
    enroll(tenant.admin)
    with at(T0):
        login_as(tenant.admin, tenant)
        code = code_at(T0) if code_ok else "000000"
        client.post(
            "/account/two-factor/disable",
            data={"disable-password": password, "disable-code": code},
        )
    user = db.session.get(User, tenant.admin.id)
    assert user.two_factor_enabled is (not disabled)
    assert len(entries("two_factor.disabled")) == (1 if disabled else 0)
    if disabled:
        assert user.totp_secret_enc is None
        assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0
        with at(T0 + 60):  # the password alone signs in again
            client.post("/logout")
            login(client, user.email)
            assert is_signed_in(client)


def test_regenerated_codes_replace_the_old_ones(client, create_client, enroll, login_as):
    tenant = create_client()
    old = enroll(tenant.admin)
    with at(T0):
        login_as(tenant.admin, tenant)
        response = client.post(
            "/account/two-factor/recovery-codes",
            data={"regenerate-password": PASSWORD, "regenerate-code": code_at(T0)},
        )
        new = re.findall(r"<li class=\"col\">([a-z2-9-]{14})</li>", response.get_data(as_text=True))
        assert len(new) == 10 and not set(new) & set(old)
        client.post("/logout")
        login(client, tenant.admin.email)
        assert _challenge(client, old[0]).status_code == 401
        assert _challenge(client, new[0]).status_code == 302
    assert len(entries("two_factor.recovery_codes_regenerated")) == 1


def test_api_tokens_ignore_the_second_step(client, create_client, enroll):
    from clickpro.services.api.tokens import create_token

    tenant = create_client()
    enroll(tenant.admin)
    _token, raw = create_token(tenant.id, "erp", tenant.admin.id)
    response = client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
