"""Tokens: scoping per client, revocation, no cookies, never on HTML pages, rate limit."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from api_helpers import Api, assert_error

from clickpro.models import ApiToken
from clickpro.services.api import tokens as api_tokens


def test_token_is_stored_hashed_with_a_recognisable_prefix(app, db, tenant):
    row, raw = api_tokens.create_token(tenant.id, "ERP")
    assert raw.startswith("cpk_") and len(raw) >= 40
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert stored.token_sha256 == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.token_sha256, stored.token_prefix, stored.name}
    assert stored.token_prefix == raw[:12]


def test_client_b_token_never_sees_client_a_rows(app, tenants, api_for, create_contact,
                                                 create_list):  # fmt: skip
    a_contact = create_contact(tenants.a, "+5511987650001", name="Segredo A")
    a_list = create_list(tenants.a, "Lista secreta A", contacts=[a_contact])
    b_contact = create_contact(tenants.b, "+5511987650002", name="Cliente B")
    api_b = api_for(tenants.b)

    listed = api_b.get("/api/v1/contacts").get_json()
    assert [c["id"] for c in listed["data"]] == [b_contact.id]
    assert "Segredo" not in api_b.get("/api/v1/contacts?q=Segredo").get_data(as_text=True)
    assert_error(api_b.get(f"/api/v1/contacts/{a_contact.id}"), 404, "not_found")
    assert_error(api_b.patch(f"/api/v1/contacts/{a_contact.id}", json={"name": "x"}), 404)
    assert_error(api_b.delete(f"/api/v1/contacts/{a_contact.id}"), 404)
    assert_error(api_b.get(f"/api/v1/lists/{a_list.id}"), 404)
    assert_error(api_b.post(f"/api/v1/lists/{a_list.id}/contacts", json={}), 404)
    assert [x["id"] for x in api_b.get("/api/v1/lists").get_json()["data"]] == []
    # Upserting A's phone from B creates B's own contact; A's row is untouched.
    created = api_b.post("/api/v1/contacts", json={"phone": "+5511987650001", "name": "B"})
    assert created.status_code == 201 and created.get_json()["id"] != a_contact.id
    api_a = api_for(tenants.a)
    assert api_a.get(f"/api/v1/contacts/{a_contact.id}").get_json()["name"] == "Segredo A"


def test_missing_bad_and_revoked_tokens_are_401(app, client, tenant, make_token):
    assert_error(client.get("/api/v1/contacts"), 401, "unauthorized")
    bad = Api(client, "cpk_not-a-real-token")
    assert_error(bad.get("/api/v1/contacts"), 401)
    raw = make_token(tenant)
    api = Api(client, raw)
    assert api.get("/api/v1/contacts").status_code == 200
    token_id = api_tokens.authenticate(raw).id
    assert api_tokens.revoke_token(tenant.id, token_id)
    response = api.get("/api/v1/contacts")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_of_a_deactivated_client_stops_working(app, db, tenant, api):
    assert api.get("/api/v1/contacts").status_code == 200
    tenant.is_active = False
    db.session.commit()
    assert_error(api.get("/api/v1/contacts"), 401)


def test_api_never_sets_cookies_and_ignores_the_session(app, tenant, api, login_as):
    response = api.get("/api/v1/contacts")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    # A logged-in browser session is not an API credential.
    browser = login_as(tenant.admin, tenant)
    response = browser.get("/api/v1/contacts")
    assert_error(response, 401)
    assert "Set-Cookie" not in response.headers
    # And no CSRF is asked of token calls (a POST without any CSRF token works).
    assert api.post("/api/v1/lists", json={"name": "Sem CSRF"}).status_code == 201


def test_token_on_an_html_page_is_not_logged_in(app, api):
    response = api.get("/contacts")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert api.get("/settings/api-tokens").status_code == 302


def test_rate_limit_answers_429_with_retry_after(app, api):
    app.config.update(API_RATE_PER_S=0.5, API_RATE_BURST=2)
    codes = [api.get("/api/v1/contacts").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = api.get("/api/v1/contacts")
    error = assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 2
    assert error["details"]["retry_after"] == int(response.headers["Retry-After"])


def test_rate_limit_is_per_token(app, tenant, api, api_for):
    app.config.update(API_RATE_PER_S=0.5, API_RATE_BURST=1)
    assert api.get("/api/v1/contacts").status_code == 200
    assert api.get("/api/v1/contacts").status_code == 429
    assert api_for(tenant).get("/api/v1/contacts").status_code == 200


def test_cli_creates_a_token_that_works(app, runner, tenant, client):
    result = runner.invoke(args=["create-api-token", "--client", tenant.slug, "--name", "ERP"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip()
    assert raw.startswith("cpk_")
    assert Api(client, raw).get("/api/v1/contacts").status_code == 200
    missing = runner.invoke(args=["create-api-token", "--client", "nope", "--name", "x"])
    assert missing.exit_code != 0 and "no client" in missing.output


def test_panel_creates_shows_once_and_revokes(app, tenant, login_as, create_member):
    browser = login_as(tenant.admin, tenant)
    page = browser.get("/settings/api-tokens")
    assert page.status_code == 200
    # CSRF is enforced on the panel (unlike the API).
    app.config["WTF_CSRF_ENABLED"] = True
    refused = browser.post("/settings/api-tokens", data={"name": "Sem token CSRF"})
    assert refused.status_code in (200, 400)
    assert not api_tokens.list_tokens(tenant.id)
    app.config["WTF_CSRF_ENABLED"] = False
    created = browser.post("/settings/api-tokens", data={"name": "ERP"})
    assert created.status_code == 303  # post/redirect/get: the token shows after the redirect
    html = browser.get(created.headers["Location"]).get_data(as_text=True)
    (row,) = api_tokens.list_tokens(tenant.id)
    start = html.index('data-testid="token-value">') + len('data-testid="token-value">')
    raw = html[start : html.index("<", start)]
    assert hashlib.sha256(raw.encode()).hexdigest() == row.token_sha256
    assert raw not in browser.get("/settings/api-tokens").get_data(as_text=True)
    api = Api(app.test_client(), raw)
    assert api.get("/api/v1/contacts").status_code == 200
    browser.post(f"/settings/api-tokens/{row.id}/revoke")
    assert api.get("/api/v1/contacts").status_code == 401
    agent = login_as(create_member(tenant), tenant)
    assert agent.get("/settings/api-tokens").status_code == 403
