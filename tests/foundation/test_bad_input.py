"""Bad input answers a clear message or a 4xx, never a 500."""

from __future__ import annotations

import pytest

PASSWORD = "senha-segura-123"


@pytest.fixture
def admin_http(create_client, login_as):
    tenant = create_client()
    http = login_as(tenant.admin, tenant)
    http.tenant = tenant
    return http


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": ""},
        {"email": "a" * 5000, "password": "x"},
        {"email": "x@example.com", "password": "p" * 10_000},
        {"email": ["a@b.co", "c@d.co"], "password": ["1", "2"]},
        {"email": "\x00\x01", "password": "\u202e\ufffd"},
    ],
)
def test_malformed_login_posts(client, data):
    response = client.post("/login", data=data)
    assert response.status_code in (400, 401)
    assert "ClickPro" in response.get_data(as_text=True)


def test_login_with_json_or_wrong_content_type(client):
    # Flask-WTF reads a JSON body like a form: still just a failed login.
    assert client.post("/login", json={"email": "a@b.co", "password": "x"}).status_code == 401
    response = client.post(
        "/login", data=b"\xff\xfe garbage", content_type="application/octet-stream"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path,data",
    [
        ("/members", {"email": "x" * 1000 + "@example.com", "role": "CLIENT_USER"}),
        ("/members", {"email": "novo@example.com", "password": "curta", "role": "CLIENT_USER"}),
        ("/members", {"email": "novo@example.com", "role": "DONO"}),
        ("/members/1/role", {"role": "x" * 500}),
        ("/switch-client", {"client_id": "abc"}),
        ("/switch-client", {"client_id": "999999"}),
        ("/notifications/999999/read", {}),
        ("/language/klingon", {}),
    ],
)
def test_malformed_form_posts(admin_http, path, data):
    response = admin_http.post(path, data=data)
    assert 300 <= response.status_code < 500, (path, response.status_code)


def test_unknown_ids_are_404(admin_http):
    for path in (
        "/members/0/role",
        "/members/2147483648/deactivate",
        "/notifications/99999999/read",
    ):
        assert admin_http.post(path, data={"role": "CLIENT_USER"}).status_code == 404, path


def test_json_error_answers_for_json_clients(admin_http):
    response = admin_http.get("/nao-existe", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_unhandled_error_renders_the_500_page(make_app, create_client, monkeypatch):
    from clickpro.permissions import ENDPOINTS, Capability

    app = make_app(PROPAGATE_EXCEPTIONS=False)
    # A route of the panel like any other: in the role matrix (an unlisted endpoint is
    # refused with 403 before its view runs, and the error would never happen).
    monkeypatch.setitem(ENDPOINTS, "boom", Capability.DASHBOARD)

    @app.route("/_boom")
    def boom():
        raise RuntimeError("kaboom secret detail")

    tenant = create_client()
    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"] = tenant.admin.get_id()
    response = http.get("/_boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Erro interno" in text and "kaboom" not in text and "Traceback" not in text
    json_response = http.get("/_boom", headers={"Accept": "application/json"})
    assert json_response.status_code == 500
    assert json_response.json["error"]["code"] == "internal_error"


def test_oversized_body_is_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/login", data={"email": "a" * 4096, "password": "x"})
    assert response.status_code == 413


def test_nul_bytes_are_400_before_any_query(admin_http):
    assert admin_http.get("/notifications?x=a%00b").status_code == 400
    assert (
        admin_http.post("/members", data={"email": "a\x00@b.co", "role": "CLIENT_USER"}).status_code
        == 400
    )
    response = admin_http.post(
        "/members", data='{"email": "a\\u0000b"}', content_type="application/json"
    )
    assert response.status_code == 400


def test_multipart_part_without_a_name_is_not_a_500(client, login_as, create_client):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    body = (
        b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nvalor\r\n"
        b'--XyZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nLista\r\n--XyZ--\r\n'
    )
    response = client.post(
        "/contacts/lists", data=body, content_type="multipart/form-data; boundary=XyZ"
    )
    assert response.status_code < 500
