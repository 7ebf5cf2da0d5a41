"""Member invitations: the invitee decides, after signing in (accept or decline)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from clickpro.models import ClientMember, MemberInvitation, Role
from clickpro.models.base import utcnow
from clickpro.services.accounts import invitations
from clickpro.services.accounts.service import membership_of

PASSWORD = "senha-segura-123"


def _sign_in(app, email, password=PASSWORD):
    http = app.test_client()
    response = http.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302
    return http, response


def _invite(tenant, email, role=Role.CLIENT_USER):
    return invitations.invite(
        tenant, email, role, invited_by=tenant.admin, link_base="http://clickpro.test"
    )


def test_invitee_sees_the_invitation_after_sign_in_and_accepts(app, create_client, db):
    inviting = create_client("Loja Convida")
    other = create_client("Loja Dela")
    invitee = other.admin
    invitation = _invite(inviting, invitee.email, Role.CLIENT_ADMIN)

    http, response = _sign_in(app, invitee.email)
    assert response.headers["Location"] == "/invitations"
    page = http.get("/invitations").get_data(as_text=True)
    assert "Loja Convida" in page and "Administrador" in page
    # Other pages show the banner until the invitation is answered.
    assert "invitation-banner" in http.get("/").get_data(as_text=True)

    accepted = http.post(f"/invitations/{invitation.id}/accept")
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/"
    db.session.expire_all()
    membership = membership_of(inviting.id, invitee.id)
    assert membership is not None and membership.role == Role.CLIENT_ADMIN
    # The client in use is the one just joined; the old membership is kept.
    assert "Loja Convida" in http.get("/").get_data(as_text=True)
    assert membership_of(other.id, invitee.id).is_active
    # Accepting twice (double click, second tab) does nothing more.
    again = http.post(f"/invitations/{invitation.id}/accept", follow_redirects=True)
    assert "não está mais disponível" in again.get_data(as_text=True)
    count = db.session.scalar(
        sa.select(sa.func.count(ClientMember.id)).where(ClientMember.user_id == invitee.id)
    )
    assert count == 2


def test_decline_leaves_the_account_as_it_was(app, create_client, db):
    inviting = create_client("Loja Convida")
    invitee = create_client("Loja Dela").admin
    invitation = _invite(inviting, invitee.email)
    http, _ = _sign_in(app, invitee.email)
    assert http.post(f"/invitations/{invitation.id}/decline").status_code == 302
    db.session.expire_all()
    assert membership_of(inviting.id, invitee.id) is None
    assert db.session.get(MemberInvitation, invitation.id).declined_at is not None
    assert "invitation-banner" not in http.get("/").get_data(as_text=True)


def test_nobody_else_can_answer_an_invitation(app, create_client, db):
    inviting = create_client("Loja Convida")
    invitee = create_client("Loja Dela").admin
    intruder = create_client("Loja Intrusa").admin
    invitation = _invite(inviting, invitee.email)
    http, _ = _sign_in(app, intruder.email)
    http.post(f"/invitations/{invitation.id}/accept")
    db.session.expire_all()
    assert membership_of(inviting.id, intruder.id) is None
    assert db.session.get(MemberInvitation, invitation.id).accepted_at is None
    anonymous = app.test_client().post(f"/invitations/{invitation.id}/accept")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_expired_or_revoked_invitations_cannot_be_accepted(app, create_client, login_as, db):
    inviting = create_client("Loja Convida")
    invitee = create_client("Loja Dela").admin
    expired = _invite(inviting, invitee.email)
    expired.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    revoked = _invite(inviting, invitee.email)
    admin = login_as(inviting.admin, inviting)
    assert admin.post(f"/members/invitations/{revoked.id}/revoke").status_code == 302
    http, response = _sign_in(app, invitee.email)
    assert response.headers["Location"] == "/"  # nothing pending
    for invitation in (expired, revoked):
        http.post(f"/invitations/{invitation.id}/accept")
    db.session.expire_all()
    assert membership_of(inviting.id, invitee.id) is None


def test_an_account_with_only_an_invitation_lands_on_it(
    app, create_client, create_user, login_as, db
):
    inviting = create_client("Loja Convida")
    create_user("nova@example.com")  # an account in no client yet
    admin = login_as(inviting.admin, inviting)
    admin.post("/members", data={"email": "nova@example.com", "role": "CLIENT_USER"})
    http, response = _sign_in(app, "nova@example.com")
    assert response.headers["Location"] == "/invitations"
    # A page needing a client sends them to the invitations, not to a 403.
    assert http.get("/contacts").headers["Location"].endswith("/invitations")


def test_members_page_lists_pending_invitations(create_client, login_as):
    inviting = create_client("Loja Convida")
    _invite(inviting, "pendente@example.com")
    page = login_as(inviting.admin, inviting).get("/members").get_data(as_text=True)
    assert "Convites pendentes" in page and "pendente@example.com" in page
