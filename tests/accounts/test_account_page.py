"""The "Minha conta" page: name and password; a password change ends the other sessions."""

from __future__ import annotations

from clickpro.services.accounts.passwords import common_passwords
from clickpro.services.accounts.service import find_user

OLD = "senha-segura-123"
NEW = "girassol-azul-77"


def _change(http, current, new, confirm=None):
    return http.post(
        "/account/password",
        data={"current": current, "password": new, "confirm": confirm or new},
    )


def test_change_password_ends_the_other_sessions_and_keeps_this_one(
    app, create_client, sign_in, db
):
    shop = create_client()
    email = shop.admin.email
    here = sign_in(email, OLD)
    phone = sign_in(email, OLD)
    assert phone.get("/account").status_code == 200
    response = _change(here, OLD, NEW)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = here.get("/account")
    assert page.status_code == 200 and "outras sessões" in page.get_data(as_text=True)
    assert phone.get("/account").headers["Location"].startswith("/login")
    assert phone.get("/").status_code == 302
    sign_in(email, NEW)
    assert (
        app.test_client().post("/login", data={"email": email, "password": OLD}).status_code == 401
    )


def test_the_current_password_is_required(create_client, sign_in, db):
    shop = create_client()
    http = sign_in(shop.admin.email, OLD)
    wrong = _change(http, "nao-e-a-senha", NEW)
    assert wrong.status_code == 400 and "senha atual não confere" in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert shop.admin.check_password(OLD)
    assert http.get("/account").status_code == 200  # still signed in


def test_wrong_current_passwords_are_throttled(app, create_client, sign_in):
    shop = create_client()
    http = sign_in(shop.admin.email, OLD)  # the successful sign-in cleared its window
    limit = app.config["LOGIN_THROTTLE_PER_ACCOUNT"]
    statuses = [_change(http, f"errada-{n}-xx", NEW).status_code for n in range(limit + 1)]
    assert statuses == [400] * limit + [429]
    assert _change(http, OLD, NEW).status_code == 429  # even the right one waits


def test_password_rules_apply(create_client, sign_in, db):
    shop = create_client()
    http = sign_in(shop.admin.email, OLD)
    common = _change(http, OLD, "Password123")
    assert common.status_code == 400 and "mais usadas" in common.get_data(as_text=True)
    short = _change(http, OLD, "abc12")
    assert short.status_code == 400 and "pelo menos 8 caracteres" in short.get_data(as_text=True)
    mismatch = _change(http, OLD, NEW, "outra-coisa-123")
    assert mismatch.status_code == 400 and "não conferem" in mismatch.get_data(as_text=True)
    db.session.expire_all()
    assert shop.admin.check_password(OLD)


def test_change_my_name(create_client, sign_in, db):
    shop = create_client()
    http = sign_in(shop.admin.email, OLD)
    assert http.post("/account/name", data={"name": "  Ana   Souza "}).status_code == 302
    db.session.expire_all()
    assert shop.admin.name == "Ana Souza"
    assert http.post("/account/name", data={"name": "x" * 121}).status_code == 400
    assert http.post("/account/name", data={"name": "   "}).status_code == 400


def test_account_page_needs_sign_in(client):
    assert client.get("/account").status_code == 302
    assert client.post("/account/password", data={}).status_code == 302


def test_the_list_is_the_shipped_ten_thousand(app):
    passwords = common_passwords()
    assert len(passwords) == 10_000
    assert {"123456", "password", "qwerty", "senha123"} <= passwords


def test_cli_refuses_a_common_password(runner):
    result = runner.invoke(
        args=["create-superadmin", "--email", "op@example.com", "--password", "password1"]
    )
    assert result.exit_code != 0 and "mais usadas" in result.output


def test_flask_admin_refuses_a_common_password(app, create_user, sign_in):
    create_user("root@example.com", is_super_admin=True)
    http = sign_in("root@example.com", OLD)
    response = http.post(
        "/admin/admin_users/new/",
        data={"email": "novo@example.com", "name": "Novo", "new_password": "iloveyou123"},
    )
    assert response.status_code == 200  # the form again, with the rule
    assert "mais usadas" in response.get_data(as_text=True)
    assert find_user("novo@example.com") is None
