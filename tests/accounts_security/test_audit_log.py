"""The audit log: one entry per security-relevant action, driven through its real route,
with the actor, the visitor's address (behind the trusted proxy), the client and the
target; client admins see only their client's log; nothing edits or deletes an entry."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from security_helpers import PASSWORD, T0, at, code_at, entries

from clickpro.extensions import db
from clickpro.models import (
    ApiToken,
    AuditEntry,
    Campaign,
    CampaignList,
    ClientMember,
    Role,
    WebhookEndpoint,
)
from clickpro.models.base import utcnow
from clickpro.services import audit

VISITOR = "198.51.100.9"  # what the trusted proxy (127.0.0.1) says in X-Forwarded-For
HEADERS = {"X-Forwarded-For": VISITOR}


@dataclass
class World:
    app: object
    client: object  # the Flask test client, signed in as the tenant's admin
    tenant: object
    admin: object
    agent: object
    make: dict


@pytest.fixture
def world(
    app,
    client,
    create_client,
    create_member,
    create_contact,
    create_list,
    create_template,
    create_whatsapp_credential,
    login_as,
    enroll,
):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)

    def campaign(status: str = "DRAFT") -> Campaign:
        create_whatsapp_credential(tenant) if not _has_credential(tenant.id) else None
        template = create_template(tenant)
        lst = create_list(tenant, contacts=[create_contact(tenant)])
        row = Campaign(
            client_id=tenant.id,
            name="Natal",
            template_id=template.id,
            variables={"body": ["{{contact.name}}"]},
            scheduled_at=utcnow() + timedelta(days=2),
            status=status,
        )
        db.session.add(row)
        db.session.flush()
        db.session.add(CampaignList(campaign_id=row.id, list_id=lst.id))
        db.session.commit()
        return row

    make = {"campaign": campaign, "contact": lambda: create_contact(tenant), "enroll": enroll}
    login_as(tenant.admin, tenant)
    return World(app, client, tenant, tenant.admin, agent, make)


def _has_credential(client_id: int) -> bool:
    from clickpro.models import WhatsAppCredential

    return (
        db.session.scalar(
            sa.select(WhatsAppCredential.id).where(WhatsAppCredential.client_id == client_id)
        )
        is not None
    )


def _post(w: World, path: str, data=None):
    return w.client.post(path, data=data or {}, headers=HEADERS)


def _get(w: World, path: str):
    return w.client.get(path, headers=HEADERS)


def _member_id(w: World) -> int:
    return db.session.scalar(
        sa.select(ClientMember.id).where(
            ClientMember.client_id == w.tenant.id, ClientMember.user_id == w.agent.id
        )
    )


# --- each action: drive it, return (target_type, target_id) -------------------------


def sign_in(w):
    w.client.post("/logout")
    assert _post(w, "/login", {"email": w.admin.email, "password": PASSWORD}).status_code == 302
    return "users", w.admin.id


def sign_in_failed(w):
    w.client.post("/logout")
    assert _post(w, "/login", {"email": w.admin.email, "password": "errada!!"}).status_code == 401
    return "users", w.admin.id


def two_factor_enabled(w):
    import re

    with at(T0):
        w.client.post("/logout")
        _post(w, "/login", {"email": w.admin.email, "password": PASSWORD})
        page = _get(w, "/account/two-factor").get_data(as_text=True)
        secret = re.search(r'two-factor-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
        assert (
            _post(w, "/account/two-factor/enable", {"code": code_at(T0, secret)}).status_code == 200
        )
    return "users", w.admin.id


def two_factor_disabled(w):
    w.make["enroll"](w.admin)
    with at(T0):
        w.client.post("/logout")
        _post(w, "/login", {"email": w.admin.email, "password": PASSWORD})
        _post(w, "/login/two-factor", {"code": code_at(T0)})
        _post(w, "/account/two-factor/disable",
              {"disable-password": PASSWORD, "disable-code": code_at(T0 + 30)})  # fmt: skip
    return "users", w.admin.id


def recovery_code_used(w):
    codes = w.make["enroll"](w.admin)
    with at(T0):
        w.client.post("/logout")
        _post(w, "/login", {"email": w.admin.email, "password": PASSWORD})
        assert _post(w, "/login/two-factor", {"code": codes[0]}).status_code == 302
    return "users", w.admin.id


def member_invited(w):
    assert (
        _post(w, "/members", {"email": "nova@example.com", "role": "CLIENT_USER"}).status_code
        == 302
    )
    return "member_invitations", None


def member_role_changed(w):
    assert _post(w, f"/members/{_member_id(w)}/role", {"role": "CLIENT_ADMIN"}).status_code == 302
    return "client_members", _member_id(w)


def member_deactivated(w):
    assert _post(w, f"/members/{_member_id(w)}/deactivate").status_code == 302
    return "client_members", _member_id(w)


def api_token_created(w):
    _post(w, "/settings/api-tokens", {"name": "ERP"})
    return "api_tokens", db.session.scalar(sa.select(ApiToken.id))


def api_token_revoked(w):
    from clickpro.services.api.tokens import create_token

    token, _raw = create_token(w.tenant.id, "ERP", w.admin.id)
    assert _post(w, f"/settings/api-tokens/{token.id}/revoke").status_code == 302
    return "api_tokens", token.id


def webhook_created(w):
    _post(w, "/settings/webhooks", {"url": "https://erp.test/h", "events": ["optout.created"]})
    return "webhook_endpoints", db.session.scalar(sa.select(WebhookEndpoint.id))


def _endpoint(w) -> int:
    from clickpro.services.api.outbound_webhooks import create_endpoint

    return create_endpoint(w.tenant.id, "https://erp.test/h", ["optout.created"])[0].id


def webhook_changed(w):
    endpoint_id = _endpoint(w)
    assert _post(w, f"/settings/webhooks/{endpoint_id}/toggle").status_code == 302
    return "webhook_endpoints", endpoint_id


def webhook_deleted(w):
    endpoint_id = _endpoint(w)
    assert _post(w, f"/settings/webhooks/{endpoint_id}/delete").status_code == 302
    assert db.session.get(WebhookEndpoint, endpoint_id) is None
    return "webhook_endpoints", endpoint_id


def credential_created(w):
    account = w.make["sandbox"].create_account(access_token="EAAGtokenAudit1234")
    form = {"wa-access_token": "EAAGtokenAudit1234", "wa-waba_id": account.waba_id,
            "wa-phone_number_id": account.phone_number_id}  # fmt: skip
    assert _post(w, "/credentials/whatsapp", form).status_code == 302
    from clickpro.models import WhatsAppCredential

    return "whatsapp_credentials", db.session.scalar(sa.select(WhatsAppCredential.id))


def credential_changed(w):
    """A number's name and token changed on its page (a second number is an addition)."""
    _table, number_id = credential_created(w)
    form = {"num-display_name": "Vendas", "num-access_token": "EAAGtokenAudit1234"}
    assert _post(w, f"/credentials/whatsapp/{number_id}", form).status_code == 302
    return "whatsapp_credentials", number_id


def credential_removed(w):
    _table, number_id = credential_created(w)
    assert _post(w, f"/credentials/whatsapp/{number_id}/archive").status_code == 302
    return "whatsapp_credentials", number_id


def campaign_started(w):
    campaign = w.make["campaign"]()
    assert _post(w, f"/campaigns/{campaign.id}/start").status_code == 302
    assert db.session.get(Campaign, campaign.id).status == "SCHEDULED"
    return "campaigns", campaign.id


def campaign_paused(w):
    campaign = w.make["campaign"]("RUNNING")
    assert _post(w, f"/campaigns/{campaign.id}/pause").status_code == 302
    assert db.session.get(Campaign, campaign.id).status == "PAUSED"
    return "campaigns", campaign.id


def campaign_cancelled(w):
    campaign = w.make["campaign"]("SCHEDULED")
    assert _post(w, f"/campaigns/{campaign.id}/cancel").status_code == 302
    assert db.session.get(Campaign, campaign.id).status == "CANCELLED"
    return "campaigns", campaign.id


def export_campaign(w):
    campaign = w.make["campaign"]()
    assert _get(w, f"/campaigns/{campaign.id}/export.csv").status_code == 200
    return "campaigns", campaign.id


def export_contact(w):
    contact = w.make["contact"]()
    assert _get(w, f"/contacts/{contact.id}/export.json").status_code == 200
    return "contacts", contact.id


def contact_deleted(w):
    contact = w.make["contact"]()
    contact_id = contact.id
    assert _post(w, f"/contacts/{contact_id}/delete").status_code == 302
    return "contacts", contact_id


def settings_two_factor(w):
    assert _post(w, "/audit/two-factor-policy", {"require_two_factor": "on"}).status_code == 302
    return "clients", w.tenant.id


def settings_agent_permissions(w):
    _post(w, "/members/agent-permissions", {"import_contacts": "y"})
    return "clients", w.tenant.id


CASES = [
    ("auth.sign_in", sign_in),
    ("auth.sign_in_failed", sign_in_failed),
    ("two_factor.enabled", two_factor_enabled),
    ("two_factor.disabled", two_factor_disabled),
    ("two_factor.recovery_code_used", recovery_code_used),
    ("member.invited", member_invited),
    ("member.role_changed", member_role_changed),
    ("member.deactivated", member_deactivated),
    ("credential.created", credential_created),
    ("credential.changed", credential_changed),
    ("credential.removed", credential_removed),
    ("api_token.created", api_token_created),
    ("api_token.revoked", api_token_revoked),
    ("webhook.created", webhook_created),
    ("webhook.changed", webhook_changed),
    ("webhook.deleted", webhook_deleted),
    ("campaign.started", campaign_started),
    ("campaign.paused", campaign_paused),
    ("campaign.cancelled", campaign_cancelled),
    ("export.downloaded", export_campaign),
    ("export.downloaded", export_contact),
    ("contacts.deleted", contact_deleted),
    ("client.settings_changed", settings_two_factor),
    ("client.settings_changed", settings_agent_permissions),
]


@pytest.mark.parametrize("action, drive", CASES, ids=[f.__name__ for _a, f in CASES])
def test_each_action_leaves_an_entry(request, world, action, drive):
    if drive in (credential_created, credential_changed, credential_removed):
        world.make["sandbox"] = request.getfixturevalue("sandbox")
    before = {e.id for e in entries(action)}
    target_type, target_id = drive(world)
    new = [e for e in entries(action) if e.id not in before]
    assert len(new) >= 1, f"no {action} entry"
    entry = new[-1]
    assert entry.actor_user_id == world.admin.id
    assert entry.actor_email == world.admin.email
    assert entry.client_id == world.tenant.id
    assert entry.ip == VISITOR
    assert entry.target_type == target_type
    if target_id is not None:
        assert entry.target_id == str(target_id)
    assert entry.created_at is not None


def test_api_token_caller_is_the_actor(app, client, create_client, create_contact):
    from clickpro.services.api.tokens import create_token

    tenant = create_client()
    contact = create_contact(tenant)
    token, raw = create_token(tenant.id, "ERP", tenant.admin.id)
    response = client.delete(
        f"/api/v1/contacts/{contact.id}", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code in (200, 204)
    (entry,) = entries("contacts.deleted")
    assert entry.client_id == tenant.id and entry.actor_user_id == tenant.admin.id
    assert entry.details["api_token_id"] == token.id


def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(client, create_user):
    user = create_user()
    client.post(
        "/login",
        data={"email": user.email, "password": "errada!!"},
        headers={"X-Forwarded-For": "10.9.9.9"},
        environ_base={"REMOTE_ADDR": "203.0.113.50"},
    )
    (entry,) = entries("auth.sign_in_failed")
    assert entry.ip == "203.0.113.50"


def test_unknown_email_failure_keeps_the_typed_address(client):
    client.post("/login", data={"email": "ninguem@example.com", "password": "x"})
    (entry,) = entries("auth.sign_in_failed")
    assert entry.actor_user_id is None and entry.details["email"] == "ninguem@example.com"
    assert entry.client_id is None


def test_worker_and_cli_actions_are_the_system(app, create_client):
    tenant = create_client()
    with app.app_context():  # no request: a worker or the CLI
        audit.record("campaign.paused", ("campaigns", 7), client_id=tenant.id, by="auto")
    (entry,) = entries("campaign.paused")
    assert entry.actor_email == "system" and entry.actor_user_id is None and entry.ip is None


def _seed(tenant, other):
    audit.record("api_token.created", ("api_tokens", 1), client_id=tenant.id, actor=tenant.admin)
    audit.record("contacts.deleted", ("contacts", 2), client_id=tenant.id, actor=tenant.admin)
    audit.record("api_token.created", ("api_tokens", 3), client_id=other.id, actor=other.admin)


def test_client_admin_sees_only_their_clients_log(client, create_client, login_as):
    tenant, other = create_client(), create_client()
    _seed(tenant, other)
    login_as(tenant.admin, tenant)
    page = client.get("/audit").get_data(as_text=True)
    assert "api_tokens:1" in page and "contacts:2" in page and "api_tokens:3" not in page
    assert other.admin.email not in page
    filtered = client.get("/audit?action=contacts.deleted").get_data(as_text=True)
    assert "contacts:2" in filtered and "api_tokens:1" not in filtered
    by_other_user = client.get(f"/audit?user={other.admin.id}").get_data(as_text=True)
    assert "api_tokens:3" not in by_other_user and "contacts:2" not in by_other_user
    future = client.get("/audit?from=2999-01-01").get_data(as_text=True)
    assert "contacts:2" not in future
    assert client.get("/audit?from=not-a-date").status_code == 400

    export = client.get("/audit/export.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    body = export.get_data().decode("utf-8")
    assert body.startswith("\ufeff")  # Excel pt-BR: BOM and ";"
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0][0] == "id" and {r[7] for r in rows[1:]} == {
        "api_tokens:1",
        "contacts:2",
        "audit_log",
    }
    # the export itself is recorded
    assert entries("export.downloaded")[-1].details["export"] == "audit_log"


def test_pages_paginate(app, client, create_client, login_as):
    tenant = create_client()
    app.config["AUDIT_PAGE_SIZE"] = 2
    for n in range(5):
        audit.record("contacts.deleted", ("contacts", n), client_id=tenant.id, actor=tenant.admin)
    login_as(tenant.admin, tenant)
    first = client.get("/audit").get_data(as_text=True)
    assert "contacts:4" in first and "contacts:3" in first and "contacts:2" not in first
    third = client.get("/audit?page=3").get_data(as_text=True)
    assert "contacts:0" in third and "contacts:4" not in third


def test_agents_cannot_read_the_log(client, create_client, create_member, login_as):
    tenant = create_client()
    login_as(create_member(tenant, Role.CLIENT_USER), tenant)
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


def test_no_route_changes_an_entry(app, client, create_client, create_user, login_as):
    tenant = create_client()
    audit.record("contacts.deleted", ("contacts", 1), client_id=tenant.id, actor=tenant.admin)
    entry_id = entries()[0].id
    login_as(tenant.admin, tenant)
    for method in ("post", "put", "patch", "delete"):
        for path in ("/audit", "/audit/export.csv", f"/audit/{entry_id}"):
            status = getattr(client, method)(path).status_code
            assert status in (404, 405), (method, path, status)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("audit."):
            assert rule.methods - {"GET", "HEAD", "OPTIONS"} <= (
                {"POST"} if rule.endpoint == "audit.two_factor_policy" else set()
            )

    root = create_user(is_super_admin=True)
    login_as(root)
    view = app.extensions["clickpro.admin"]
    (audit_view,) = [v for v in view._views if getattr(v, "endpoint", "") == "admin_audit_log"]
    assert not (audit_view.can_create or audit_view.can_edit or audit_view.can_delete)
    listing = client.get("/admin/admin_audit_log/")
    assert listing.status_code == 200 and "contacts.deleted" in listing.get_data(as_text=True)
    client.post("/admin/admin_audit_log/delete/", data={"id": str(entry_id)})
    client.post(f"/admin/admin_audit_log/edit/?id={entry_id}", data={"action": "x"})
    client.post("/admin/admin_audit_log/new/", data={"action": "forged"})
    client.post("/admin/admin_audit_log/action/", data={"action": "delete", "rowid": str(entry_id)})
    assert client.get(f"/admin/admin_audit_log/edit/?id={entry_id}").status_code in (302, 403, 404)
    db.session.expire_all()
    rows = db.session.scalars(sa.select(AuditEntry)).all()
    assert [(r.id, r.action) for r in rows] == [(entry_id, "contacts.deleted")]


def test_super_admin_edits_in_flask_admin_are_recorded(
    client, create_client, create_member, create_user, login_as
):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    membership = db.session.scalar(sa.select(ClientMember).where(ClientMember.user_id == agent.id))
    root = create_user(is_super_admin=True)
    login_as(root)
    form = {"client": tenant.id, "user": agent.id, "role": "CLIENT_USER", "is_active": "y"}
    client.post(f"/admin/admin_members/edit/?id={membership.id}", data=form)
    assert entries("member.role_changed") == [] and entries("member.deactivated") == []
    client.post(
        f"/admin/admin_members/edit/?id={membership.id}",
        data={**form, "role": "CLIENT_ADMIN", "is_active": ""},
    )
    for action in ("member.role_changed", "member.deactivated"):
        assert len(entries(action)) == 1, (action, [(e.action, e.details) for e in entries()])
        (entry,) = entries(action)
        assert entry.actor_user_id == root.id and entry.client_id == tenant.id
        assert entry.target == f"client_members:{membership.id}" and entry.details["via"] == "admin"

    client.post(
        f"/admin/admin_clients/edit/?id={tenant.id}",
        data={
            "name": "Loja Nova",
            "slug": tenant.slug,
            "timezone": tenant.timezone,
            "is_active": "y",
        },  # fmt: skip
    )
    assert len(entries("client.settings_changed")) == 1, [(e.action, e.details) for e in entries()]
    (entry,) = entries("client.settings_changed")
    assert entry.client_id == tenant.id and entry.actor_user_id == root.id
    assert "name" in entry.details["fields"] and "slug" not in entry.details["fields"]
