"""Role matrix: what a CLIENT_USER (agent) may not do, and who sees /admin/."""

from __future__ import annotations

import pytest

from clickpro.models import Role

# Whole areas reserved to CLIENT_ADMIN: every route answers 403 to an agent.
ADMIN_ONLY_AREAS = ("members", "credentials")
# Single admin-only endpoints of areas agents otherwise use (checked when installed).
ADMIN_ONLY_ENDPOINTS = (
    "templates.new",
    "templates.create",
    "templates.sync",
    "templates.delete",
    "campaigns.new",
    "campaigns.edit",
    "campaigns.act",
    "campaigns.from_sheet",
)
ADMIN_VIEWS = (
    "/admin/",
    "/admin/admin_clients/",
    "/admin/admin_users/",
    "/admin/admin_members/",
    "/admin/admin_whatsapp/",
    "/admin/admin_openai/",
    "/admin/admin_templates/",
    "/admin/admin_campaigns/",
    "/admin/admin_messages/",
    "/admin/admin_webhook_events/",
    "/admin/admin_users/new/",
)


def _url(app, rule) -> str:
    values = {arg: 1 for arg in rule.arguments}
    return app.url_map.bind("localhost").build(rule.endpoint, values)


@pytest.fixture
def agent_http(create_client, create_member, login_as):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    return login_as(agent, tenant)


def test_agent_gets_403_on_admin_only_areas(app, agent_http):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ADMIN_ONLY_AREAS or rule.endpoint.endswith("static"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = agent_http.open(_url(app, rule), method=method, data={})
            assert response.status_code == 403, f"{method} {rule.rule} -> {response.status_code}"
            checked += 1
    assert checked >= 4  # at least the members routes


@pytest.mark.parametrize("endpoint", ADMIN_ONLY_ENDPOINTS)
def test_agent_gets_403_on_admin_only_pages(app, agent_http, endpoint):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    if not rules:
        pytest.skip(f"{endpoint} is not installed yet")
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = agent_http.open(_url(app, rule), method=method, data={})
            assert response.status_code == 403, f"{method} {rule.rule} -> {response.status_code}"


def test_agent_and_client_admin_see_dashboard_but_admin_links_differ(
    create_client, create_member, login_as
):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    admin_page = login_as(tenant.admin, tenant).get("/").get_data(as_text=True)
    agent_page = login_as(agent, tenant).get("/").get_data(as_text=True)
    assert 'href="/members"' in admin_page
    assert 'href="/members"' not in agent_page


@pytest.mark.parametrize("role", [Role.CLIENT_ADMIN, Role.CLIENT_USER])
def test_non_super_users_get_404_at_admin(create_client, create_member, login_as, role):
    tenant = create_client()
    user = tenant.admin if role == Role.CLIENT_ADMIN else create_member(tenant, role)
    http = login_as(user, tenant)
    for path in ADMIN_VIEWS:
        assert http.get(path).status_code == 404, path
    assert http.post("/admin/admin_users/new/", data={"email": "x@example.com"}).status_code == 404


def test_anonymous_is_redirected_to_login_from_admin(client):
    for path in ("/admin/", "/admin/admin_users/"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_super_admin_gets_every_admin_view(create_user, login_as):
    root = create_user("root@example.com", is_super_admin=True)
    http = login_as(root)
    for path in ADMIN_VIEWS:
        assert http.get(path).status_code == 200, path


def test_super_admin_without_client_goes_to_admin(create_user, login_as):
    root = create_user("root@example.com", is_super_admin=True)
    response = login_as(root).get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
