"""Flask-Admin: secrets never shown, set-password, membership rule, webhook reprocess."""

from __future__ import annotations

import sys
import types

import pytest
import sqlalchemy as sa
from foundation_world import MARKER

from clickpro.models import ClientMember, Role, User, WebhookEvent
from clickpro.services.accounts.service import authenticate


@pytest.fixture
def root_http(create_user, login_as):
    root = create_user("root@example.com", is_super_admin=True)
    http = login_as(root)
    http.root = root
    return http


def test_admin_is_per_app_and_exposed_for_plugins(make_app):
    first, second = make_app(), make_app()
    assert first.extensions["clickpro.admin"] is not second.extensions["clickpro.admin"]


def test_register_admin_view_adds_a_view(make_app):
    from flask_admin import BaseView, expose

    from clickpro.admin import SecureModelView  # noqa: F401  (the base plugins should use)
    from clickpro.plugins.api import register_admin_view

    class Hello(BaseView):
        @expose("/")
        def index(self):
            return "hello plugin"

    app = make_app()
    register_admin_view(app, Hello(name="Hello", endpoint="plugin_hello"))
    assert "/admin/plugin_hello/" in {r.rule for r in app.url_map.iter_rules()}


def test_password_hash_never_shown(root_http, create_user):
    user = create_user("alguem@example.com")
    pages = [
        root_http.get("/admin/admin_users/"),
        root_http.get(f"/admin/admin_users/details/?id={user.id}"),
        root_http.get(f"/admin/admin_users/edit/?id={user.id}"),
    ]
    for page in pages:
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert user.password_hash not in text
        assert "scrypt:" not in text and "pbkdf2:" not in text
        assert "password_hash" not in text


def test_set_password_field(root_http, create_user, db):
    user = create_user("alguem@example.com")
    response = root_http.post(
        f"/admin/admin_users/edit/?id={user.id}",
        data={
            "email": user.email,
            "name": "Alguém",
            "is_active": "y",
            "new_password": "nova-senha-99",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert authenticate("alguem@example.com", "nova-senha-99").id == user.id


def test_create_user_requires_password(root_http, db):
    response = root_http.post(
        "/admin/admin_users/new/", data={"email": "novo@example.com", "name": "Novo"}
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Informe uma senha" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "novo@example.com")) is None


def test_credentials_show_last4_only(root_http, world):
    for path in ("/admin/admin_whatsapp/", "/admin/admin_openai/"):
        text = root_http.get(path).get_data(as_text=True)
        assert "7951" in text or "7961" in text
        assert "token-de-acesso" not in text and "chave" not in text
        assert "gAAAA" not in text  # no Fernet token
    detail = root_http.get(
        f"/admin/admin_whatsapp/details/?id={world.rows['whatsapp_credential'].id}"
    ).get_data(as_text=True)
    assert "••••7951" in detail and "gAAAA" not in detail and "access_token_enc" not in detail
    detail = root_http.get(
        f"/admin/admin_openai/details/?id={world.rows['openai_credential'].id}"
    ).get_data(as_text=True)
    assert "••••7961" in detail and "gAAAA" not in detail


def test_read_only_views_refuse_writes(root_http, world, db):
    assert root_http.get("/admin/admin_whatsapp/new/").status_code in (302, 403, 404)
    cred_id = world.rows["whatsapp_credential"].id
    response = root_http.post("/admin/admin_whatsapp/delete/", data={"id": cred_id})
    assert response.status_code in (302, 403, 404, 405)
    from clickpro.models import WhatsAppCredential

    db.session.expire_all()
    assert db.session.get(WhatsAppCredential, cred_id) is not None


def test_membership_edit_keeps_an_admin(root_http, create_client, db):
    tenant = create_client()
    membership = db.session.scalar(
        sa.select(ClientMember).where(ClientMember.client_id == tenant.id)
    )
    response = root_http.post(
        f"/admin/admin_members/edit/?id={membership.id}",
        data={
            "client": tenant.id,
            "user": tenant.admin.id,
            "role": "CLIENT_USER",
            "is_active": "y",
        },
        follow_redirects=True,
    )
    assert "pelo menos um administrador" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ClientMember, membership.id).role == Role.CLIENT_ADMIN
    response = root_http.post(
        "/admin/admin_members/delete/", data={"id": membership.id}, follow_redirects=True
    )
    db.session.expire_all()
    assert db.session.get(ClientMember, membership.id) is not None


def _filter_index(app, endpoint: str, filter_type: str, label: str) -> int:
    view = next(v for v in app.extensions["clickpro.admin"]._views if v.endpoint == endpoint)
    for index, flt in enumerate(view._filters):
        if type(flt).__name__ == filter_type and str(flt.name) == label:
            return index
    raise AssertionError(f"no {filter_type} filter {label!r} on {endpoint}")


def test_webhook_events_list_filters_and_raw_body(app, root_http, world, db):
    from hashlib import sha256

    body = '{"unrouted": "EVENTO-SEM-ROTA"}'
    db.session.add(WebhookEvent(body=body, body_sha256=sha256(body.encode()).hexdigest()))
    db.session.commit()
    text = root_http.get("/admin/admin_webhook_events/").get_data(as_text=True)
    assert f"{MARKER}-webhook" in text and f"{MARKER}-falha" in text and "EVENTO-SEM-ROTA" in text
    detail = root_http.get(
        f"/admin/admin_webhook_events/details/?id={world.rows['webhook_event'].id}"
    ).get_data(as_text=True)
    assert "whatsapp_business_account" in detail
    routed = _filter_index(app, "admin_webhook_events", "BooleanEqualFilter", "Roteado")
    page = root_http.get(f"/admin/admin_webhook_events/?flt0_{routed}=0").get_data(as_text=True)
    assert "EVENTO-SEM-ROTA" in page and f"{MARKER}-webhook" not in page
    error = _filter_index(app, "admin_webhook_events", "FilterEmpty", "Erro")
    page = root_http.get(f"/admin/admin_webhook_events/?flt0_{error}=0").get_data(as_text=True)
    assert "EVENTO-SEM-ROTA" not in page and f"{MARKER}-webhook" in page


def test_reprocess_action_calls_the_service(root_http, world, monkeypatch):
    calls: list[list[int]] = []
    fake = types.ModuleType("clickpro.services.webhook.ingest")

    def reprocess_events(ids: list[int]) -> int:
        calls.append(ids)
        return len(ids)

    fake.reprocess_events = reprocess_events
    monkeypatch.setitem(sys.modules, "clickpro.services.webhook.ingest", fake)
    event_id = world.rows["webhook_event"].id
    response = root_http.post(
        "/admin/admin_webhook_events/action/",
        data={"action": "reprocess", "rowid": [str(event_id)]},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert calls == [[event_id]]
    assert "1 evento(s)" in response.get_data(as_text=True)


def test_reprocess_failure_is_a_message_not_a_500(root_http, world, monkeypatch):
    fake = types.ModuleType("clickpro.services.webhook.ingest")

    def reprocess_events(ids):
        raise RuntimeError("boom")

    fake.reprocess_events = reprocess_events
    monkeypatch.setitem(sys.modules, "clickpro.services.webhook.ingest", fake)
    response = root_http.post(
        "/admin/admin_webhook_events/action/",
        data={"action": "reprocess", "rowid": [str(world.rows["webhook_event"].id)]},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Falha ao reprocessar" in response.get_data(as_text=True)


def test_admin_forms_carry_the_app_csrf_token(make_app, create_user):
    """With CSRF on, an admin form's token is accepted by the app-wide CSRFProtect."""
    app = make_app(WTF_CSRF_ENABLED=True)
    root = create_user("root2@example.com", is_super_admin=True)
    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"] = root.get_id()
        session["_fresh"] = True
    page = http.get("/admin/admin_clients/new/").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = http.post(
        "/admin/admin_clients/new/",
        data={
            "csrf_token": token,
            "name": "Via Admin",
            "slug": "via-admin",
            "timezone": "America/Sao_Paulo",
        },
    )
    assert ok.status_code == 302, ok.get_data(as_text=True)[:1500]
    refused = http.post(
        "/admin/admin_clients/new/", data={"name": "Sem token", "slug": "sem-token"}
    )
    assert refused.status_code == 400


def test_deactivating_a_user_or_removing_a_membership_revokes_their_tokens(
    root_http, app, create_client, create_member, db
):
    from clickpro.models import ApiToken
    from clickpro.services.api.tokens import create_token

    tenant = create_client()
    member = create_member(tenant, Role.CLIENT_USER)
    leaver = create_member(tenant, Role.CLIENT_USER)
    create_token(tenant.id, "do membro", user_id=member.id)
    create_token(tenant.id, "de quem sai", user_id=leaver.id)
    saved = app.test_client()
    with saved.session_transaction() as session:
        session["_user_id"] = member.get_id()
    response = root_http.post(
        f"/admin/admin_users/edit/?id={member.id}",
        data={"email": member.email, "name": member.name},  # is_active unchecked
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    membership = db.session.scalar(sa.select(ClientMember).where(ClientMember.user_id == leaver.id))
    deleted = root_http.post("/admin/admin_members/delete/", data={"id": membership.id})
    assert deleted.status_code == 302
    db.session.expire_all()
    tokens = db.session.scalars(sa.select(ApiToken)).all()
    assert all(token.revoked_at is not None for token in tokens), tokens
    assert saved.get("/").status_code == 302  # the deactivated user's cookie is dead
