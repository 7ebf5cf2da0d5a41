"""Members page (CLIENT_ADMIN): add existing/new users, change roles, (de)activate."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import ClientMember, Role, User
from clickpro.services.accounts.service import authenticate, membership_of


def _membership(db, tenant, user) -> ClientMember:
    db.session.expire_all()
    return membership_of(tenant.id, user.id)


def test_page_lists_members(login_as, create_client, create_member):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER, email="agente@example.com")
    page = login_as(tenant.admin, tenant).get("/members")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert tenant.admin.email in text and agent.email in text


def test_add_existing_user_by_email(login_as, create_client, create_user, db):
    tenant = create_client()
    other = create_user("existente@example.com")
    http = login_as(tenant.admin, tenant)
    response = http.post("/members", data={"email": "EXISTENTE@example.com", "role": "CLIENT_USER"})
    assert response.status_code == 302
    membership = _membership(db, tenant, other)
    assert membership is not None and membership.role == Role.CLIENT_USER
    # Adding again is a clear error, not a duplicate.
    again = http.post("/members", data={"email": other.email, "role": "CLIENT_USER"})
    assert again.status_code == 400
    assert "já é membro" in again.get_data(as_text=True)


def test_add_new_user_with_initial_password(login_as, create_client, db):
    tenant = create_client()
    http = login_as(tenant.admin, tenant)
    response = http.post(
        "/members",
        data={
            "email": "nova@example.com",
            "name": "Nova Pessoa",
            "password": "senha-inicial-1",
            "role": "CLIENT_ADMIN",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "nova@example.com"))
    assert user.name == "Nova Pessoa"
    assert authenticate("nova@example.com", "senha-inicial-1").id == user.id
    assert _membership(db, tenant, user).role == Role.CLIENT_ADMIN


def test_new_user_without_password_is_refused(login_as, create_client, db):
    tenant = create_client()
    response = login_as(tenant.admin, tenant).post(
        "/members", data={"email": "sem-senha@example.com", "role": "CLIENT_USER"}
    )
    assert response.status_code == 400
    assert "senha inicial" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "sem-senha@example.com")) is None


def test_bad_role_and_bad_email_are_400(login_as, create_client):
    tenant = create_client()
    http = login_as(tenant.admin, tenant)
    assert (
        http.post("/members", data={"email": "x@example.com", "role": "SUPER_ADMIN"}).status_code
        == 400
    )
    assert http.post("/members", data={"email": "", "role": "CLIENT_USER"}).status_code == 400
    long_email = "a" * 300 + "@example.com"
    assert (
        http.post(
            "/members", data={"email": long_email, "role": "CLIENT_USER", "password": "12345678"}
        ).status_code
        == 400
    )


def test_change_role(login_as, create_client, create_member, db):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    http = login_as(tenant.admin, tenant)
    membership = _membership(db, tenant, agent)
    assert (
        http.post(f"/members/{membership.id}/role", data={"role": "CLIENT_ADMIN"}).status_code
        == 302
    )
    assert _membership(db, tenant, agent).role == Role.CLIENT_ADMIN


def test_last_admin_cannot_be_demoted_or_deactivated(login_as, create_client, db):
    tenant = create_client()
    http = login_as(tenant.admin, tenant)
    membership = _membership(db, tenant, tenant.admin)
    response = http.post(
        f"/members/{membership.id}/role", data={"role": "CLIENT_USER"}, follow_redirects=True
    )
    assert "pelo menos um administrador" in response.get_data(as_text=True)
    assert _membership(db, tenant, tenant.admin).role == Role.CLIENT_ADMIN
    response = http.post(f"/members/{membership.id}/deactivate", follow_redirects=True)
    assert "pelo menos um administrador" in response.get_data(as_text=True)
    assert _membership(db, tenant, tenant.admin).is_active


def test_deactivate_and_reactivate(login_as, create_client, create_member, db, client):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    http = login_as(tenant.admin, tenant)
    membership = _membership(db, tenant, agent)
    assert http.post(f"/members/{membership.id}/deactivate").status_code == 302
    assert not _membership(db, tenant, agent).is_active
    # The deactivated member no longer reaches the client.
    login_as(agent, tenant)
    assert client.get("/").status_code == 403
    login_as(tenant.admin, tenant)
    assert client.post(f"/members/{membership.id}/reactivate").status_code == 302
    assert _membership(db, tenant, agent).is_active
    login_as(agent, tenant)
    assert client.get("/").status_code == 200


def test_unknown_member_is_404(login_as, create_client):
    tenant = create_client()
    http = login_as(tenant.admin, tenant)
    assert http.post("/members/999999/role", data={"role": "CLIENT_USER"}).status_code == 404
    assert http.post("/members/999999/deactivate").status_code == 404
