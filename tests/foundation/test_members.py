"""Members page (CLIENT_ADMIN): invite by e-mail, change roles, (de)activate."""

from __future__ import annotations

import re

import sqlalchemy as sa

from clickpro.models import ClientMember, MemberInvitation, Role, User
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


def _invite(http, email, role="CLIENT_USER", **kwargs):
    return http.post("/members", data={"email": email, "role": role}, **kwargs)


def test_adding_an_existing_user_invites_and_never_attaches(
    login_as, create_client, create_user, db
):
    """Before: the e-mail of another client's user made them a member silently."""
    tenant = create_client()
    other_client = create_client("Outra Loja")
    stranger = other_client.admin
    http = login_as(tenant.admin, tenant)
    response = _invite(http, stranger.email.upper())
    assert response.status_code == 302
    assert _membership(db, tenant, stranger) is None  # only an invitation
    invitations = db.session.scalars(sa.select(MemberInvitation)).all()
    assert [(i.client_id, i.email, i.role) for i in invitations] == [
        (tenant.id, stranger.email, Role.CLIENT_USER)
    ]
    # The stranger's account is untouched.
    assert authenticate(stranger.email, "senha-segura-123").id == stranger.id


def test_the_answer_is_the_same_whether_the_email_exists_or_not(
    login_as, create_client, create_user, db
):
    tenant = create_client()
    create_user("existente@example.com")
    http = login_as(tenant.admin, tenant)

    def answer(email):
        response = _invite(http, email, follow_redirects=True)
        text = response.get_data(as_text=True)
        flash = re.search(r"alert-success[^>]*>\s*([^<]*)", text)[1].replace(email, "<e>")
        return response.status_code, flash

    existing = answer("existente@example.com")
    unknown = answer("nova@example.com")
    assert existing == unknown


def test_a_new_email_gets_no_account_until_the_link_is_used(login_as, create_client, db):
    """The invitee chooses name and password from the e-mailed link (tests/accounts)."""
    tenant = create_client()
    http = login_as(tenant.admin, tenant)
    response = _invite(http, "nova@example.com", role="CLIENT_ADMIN")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(User).where(User.email == "nova@example.com")) is None
    assert db.session.scalar(sa.select(MemberInvitation.role)) == Role.CLIENT_ADMIN


def test_an_active_member_is_refused_and_a_former_one_reactivated(
    login_as, create_client, create_member, db
):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    http = login_as(tenant.admin, tenant)
    again = _invite(http, agent.email)
    assert again.status_code == 400 and "já é membro" in again.get_data(as_text=True)
    membership = _membership(db, tenant, agent)
    membership.is_active = False
    db.session.commit()
    assert _invite(http, agent.email, role="CLIENT_ADMIN").status_code == 302
    membership = _membership(db, tenant, agent)
    assert membership.is_active and membership.role == Role.CLIENT_ADMIN


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
