"""The role matrix (clickpro/permissions.py, docs/roles.md) walked over every route.

Every registered endpoint needs an entry; every route is opened (GET and POST, and the
other methods it takes) as an anonymous visitor, an agent, an agent whose admin turned
the "Agentes podem ..." options on, and a client admin. What the matrix denies answers
403 (login redirect when anonymous); what it grants never does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clickpro.models import Role
from clickpro.permissions import (
    AGENT_OPTIONAL,
    ROLE_CAPABILITIES,
    Access,
    Capability,
    requirement_for,
    role_allows,
)
from clickpro.services.accounts.agent_permissions import AgentPermissions, set_agent_permissions

ROLES_DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"
ALL_ON = AgentPermissions(import_contacts=True, delete_contacts=True, export_contacts=True)
# Never opened by the walk: it would end the session the walk runs in.
SKIP = {"auth.logout"}
# What an agent must never reach with the defaults, whatever the table says (the issue's
# list): a regression that grants one of these fails here, not only in the table.
AGENT_NEVER = (
    "campaigns.index",
    "campaigns.detail",
    "campaigns.export",
    "campaigns.progress",
    "campaigns.new",
    "campaigns.from_sheet",
    "contacts.import_new",
    "contacts.imports",
    "contacts.import_rejected",
    "contacts.optout_import",
    "contacts.delete",
    "contacts.list_delete",
    "contacts.export",
    "credentials.index",
    "members.index",
    "members.agent_permissions",
    "api.tokens",
    "api.webhooks",
    "templates.new",
    "templates.sync",
    "inbox.quick_replies_page",
    "ai_reply.activity",
)


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _url(app, rule) -> str:
    # ids far beyond any row: nothing is really changed or deleted by the walk
    values = {arg: (999999 if arg.endswith("id") else "x") for arg in rule.arguments}
    if "lang" in values:
        values["lang"] = "en"
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def test_every_endpoint_has_an_entry(app):
    missing = [
        f"{method} {rule.endpoint} ({rule.rule})"
        for rule in _rules(app)
        for method in _methods(rule)
        if requirement_for(rule.endpoint, method) is None
    ]
    assert missing == [], "add these endpoints to clickpro/permissions.py ENDPOINTS"


def test_an_endpoint_without_an_entry_answers_403(app, create_client, login_as):
    """Fail closed: a route nobody put in the table is refused, even to an admin."""
    app.add_url_rule("/_unlisted", "unlisted_probe", lambda: "open")
    tenant = create_client()
    assert login_as(tenant.admin, tenant).get("/_unlisted").status_code == 403


def _walk(app, http, expect) -> int:
    checked = 0
    for rule in _rules(app):
        if rule.endpoint in SKIP:
            continue
        for method in _methods(rule):
            requirement = requirement_for(rule.endpoint, method)
            response = http.open(_url(app, rule), method=method, data={})
            where = f"{method} {rule.rule} ({rule.endpoint}) -> {response.status_code}"
            assert response.status_code < 500, where
            expect(requirement, response, where)
            checked += 1
    return checked


def _to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


@pytest.mark.parametrize("options", ["defaults", "all_on"])
@pytest.mark.parametrize("role", [Role.CLIENT_USER, Role.CLIENT_ADMIN])
def test_walk_every_route_as_a_member(app, create_client, create_member, login_as, role, options):
    tenant = create_client()
    granted = ALL_ON if options == "all_on" else AgentPermissions()
    set_agent_permissions(tenant, granted)
    user = tenant.admin if role == Role.CLIENT_ADMIN else create_member(tenant, role)
    http = login_as(user, tenant)

    def expect(requirement, response, where):
        if isinstance(requirement, Capability):
            if role_allows(role, requirement, granted):
                assert response.status_code != 403 and not _to_login(response), where
            else:
                assert response.status_code == 403, where
        elif requirement == Access.SUPER_ADMIN:
            assert response.status_code == 404, where
        elif requirement == Access.API_TOKEN:
            assert response.status_code == 401, where  # a session never opens the API

    assert _walk(app, http, expect) > 100


def test_walk_every_route_anonymous(app, client):
    def expect(requirement, response, where):
        if requirement == Access.PUBLIC:
            return  # the view decides (a step of the sign-in may send back to /login)
        if requirement == Access.API_TOKEN:
            assert response.status_code == 401, where
        else:
            assert _to_login(response), where

    assert _walk(app, client, expect) > 100


@pytest.mark.parametrize("endpoint", AGENT_NEVER)
def test_agent_is_refused_what_the_issue_lists(
    app, create_client, create_member, login_as, endpoint
):
    tenant = create_client()
    http = login_as(create_member(tenant, Role.CLIENT_USER), tenant)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    assert rules, f"{endpoint} is not installed"
    for rule in rules:
        for method in _methods(rule):
            response = http.open(_url(app, rule), method=method, data={})
            assert response.status_code == 403, f"{method} {rule.rule}"


def test_campaign_export_with_a_real_campaign_is_refused_to_agents(
    create_client, create_member, login_as, db
):
    from clickpro.models import Campaign

    tenant = create_client()
    campaign = Campaign(client_id=tenant.id, name="Black Friday")
    db.session.add(campaign)
    db.session.commit()
    agent = create_member(tenant, Role.CLIENT_USER)
    assert login_as(agent, tenant).get(f"/campaigns/{campaign.id}/export.csv").status_code == 403
    assert (
        login_as(tenant.admin, tenant).get(f"/campaigns/{campaign.id}/export.csv").status_code
        == 200
    )


def test_agent_options_open_import_delete_export(
    create_client, create_member, login_as, create_contact, db
):
    from clickpro.models import Contact

    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    contact_id = create_contact(tenant).id  # read before a request deletes the row
    http = login_as(agent, tenant)
    assert http.get("/contacts/imports/new").status_code == 403
    assert http.get(f"/contacts/{contact_id}/export.json").status_code == 403
    assert http.post(f"/contacts/{contact_id}/delete").status_code == 403
    assert db.session.get(Contact, contact_id) is not None

    admin = login_as(tenant.admin, tenant)
    response = admin.post(
        "/members/agent-permissions",
        data={"import_contacts": "y", "delete_contacts": "y", "export_contacts": "y"},
    )
    assert response.status_code == 302
    http = login_as(agent, tenant)
    assert http.get("/contacts/imports/new").status_code == 200
    assert http.get(f"/contacts/{contact_id}/export.json").status_code == 200
    assert http.post(f"/contacts/{contact_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Contact, contact_id) is None

    login_as(tenant.admin, tenant).post("/members/agent-permissions", data={})
    assert login_as(agent, tenant).get("/contacts/imports/new").status_code == 403


def test_another_clients_options_do_not_apply(create_client, create_member, login_as):
    first, second = create_client(), create_client()
    set_agent_permissions(first, ALL_ON)
    agent = create_member(second, Role.CLIENT_USER)
    assert login_as(agent, second).get("/contacts/imports/new").status_code == 403


def _nav_links(page: str) -> set[str]:
    """The menu's links, dropdown groups included (their toggles are ``href="#"``)."""
    nav = page.split('id="mainnav"', 1)[1].split('class="navbar-nav align-items-lg-center"')[0]
    return set(re.findall(r'href="([^"]+)"', nav)) - {"#"}


def test_menu_shows_only_what_the_role_opens(create_client, create_member, login_as):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    admin_links = _nav_links(login_as(tenant.admin, tenant).get("/").get_data(as_text=True))
    agent_links = _nav_links(login_as(agent, tenant).get("/").get_data(as_text=True))
    assert {"/campaigns", "/credentials", "/members", "/settings/api-tokens"} <= admin_links
    assert agent_links == {"/", "/inbox/", "/contacts", "/templates"}
    http = login_as(agent, tenant)
    for link in agent_links:
        assert http.get(link).status_code == 200, link


def test_agent_pages_hide_buttons_the_role_cannot_use(
    create_client, create_member, login_as, create_contact
):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    contact = create_contact(tenant)
    http = login_as(agent, tenant)
    listing = http.get("/contacts").get_data(as_text=True)
    detail = http.get(f"/contacts/{contact.id}").get_data(as_text=True)
    dashboard = http.get("/").get_data(as_text=True)
    assert "/contacts/imports" not in listing
    assert f"/contacts/{contact.id}/delete" not in detail
    assert f"/contacts/{contact.id}/export.json" not in detail
    assert "/campaigns" not in dashboard
    set_agent_permissions(tenant, ALL_ON)
    assert "/contacts/imports/new" in http.get("/contacts").get_data(as_text=True)
    detail = http.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert f"/contacts/{contact.id}/delete" in detail
    assert f"/contacts/{contact.id}/export.json" in detail


def _doc_matrix() -> dict[str, dict[str, str]]:
    """The capability table of docs/roles.md: capability → {role column: cell}."""
    rows: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for line in ROLES_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| capability"):
            header = cells
            continue
        if header and line.startswith("| `"):
            rows[cells[0].strip("`")] = dict(zip(header[1:], cells[1:], strict=False))
        elif header and not line.startswith("|"):
            break
    return rows


def test_docs_roles_md_states_the_same_matrix():
    rows = _doc_matrix()
    assert set(rows) == {c.value for c in Capability}
    for capability in Capability:
        cells = rows[capability.value]
        assert cells["CLIENT_ADMIN"] == (
            "yes" if capability in ROLE_CAPABILITIES[Role.CLIENT_ADMIN] else "no"
        )
        if capability in ROLE_CAPABILITIES[Role.CLIENT_USER]:
            expected = "yes"
        elif capability in AGENT_OPTIONAL:
            expected = "if allowed"
        else:
            expected = "no"
        assert cells["CLIENT_USER"] == expected, capability
        assert cells["SUPER_ADMIN"] == "no (only /admin/)", capability


def test_an_agent_is_never_shown_a_link_or_form_that_refuses_them(
    app, create_client, create_member, create_contact, login_as, db
):
    """Crawl the panel as an agent from the dashboard: every link answers, and every
    form posts to an endpoint the agent's role grants (no button that ends in 403)."""
    from urllib.parse import urlsplit

    from clickpro.models import ContactList, Template
    from clickpro.services.accounts.notifications import notify

    tenant = create_client()
    contact = create_contact(tenant)
    db.session.add(ContactList(client_id=tenant.id, name="VIP"))
    db.session.add(
        Template(
            client_id=tenant.id,
            name="ola",
            language="pt_BR",
            category="UTILITY",
            status="APPROVED",
            components=[],
        )  # fmt: skip
    )
    db.session.commit()
    notify(tenant.id, "handoff", "Fale com a cliente", contact_id=contact.id)
    http = login_as(create_member(tenant, Role.CLIENT_USER), tenant)
    adapter = app.url_map.bind("localhost")
    todo, seen, opened = ["/"], set(), 0
    while todo and opened < 80:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = http.get(path)
        assert response.status_code != 403, f"link to {path} refuses the agent"
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        opened += 1
        html = response.get_data(as_text=True)
        for href in re.findall(r'href="(/[^"#]*)"', html):
            target = urlsplit(href).path
            if not target.startswith(("/static", "/api/v1")) and target not in seen:
                todo.append(href)
        for action in re.findall(r'<form[^>]*method="post"[^>]*action="(/[^"]*)"', html):
            endpoint, _args = adapter.match(urlsplit(action).path, method="POST")
            requirement = requirement_for(endpoint, "POST")
            if isinstance(requirement, Capability):
                assert role_allows(Role.CLIENT_USER, requirement, AgentPermissions()), (
                    f"{path} shows a form to {endpoint}"
                )
    assert opened >= 8
